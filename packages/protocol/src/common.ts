import { z } from "zod";

/** Optional client-chosen id on every request, echoed in its reply (the seed recommends message ids). */
export const RequestId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\w.:-]+$/, "request_id may contain letters, digits, '_', '.', ':' and '-' only");

/** ISO 8601 timestamp as sent on the wire. */
export const Timestamp = z.iso.datetime({ offset: true });

/** A string-to-string map, e.g. environment variables or labels. */
export const StringMap = z.record(z.string(), z.string());

/** A zod error as a list of `{path, message}`, with dotted paths (`container.labels`), for error bodies. */
export function issuesOf(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join(".") || "(root)",
    message: issue.message,
  }));
}

/** One readable sentence from a zod error: `image: Required; ports.80: ...`. */
export function describeIssues(error: z.ZodError): string {
  return issuesOf(error)
    .map((i) => `${i.path}: ${i.message}`)
    .join("; ");
}
