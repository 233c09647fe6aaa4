import { z } from "zod";

export const ApiErrorCode = z.enum([
  "bad_request",
  "validation_error",
  "unauthorized",
  "forbidden",
  "not_found",
  "conflict",
  "payload_too_large",
  "rate_limited",
  "unavailable",
  /** Cloudflare failed or could not be reached (502). */
  "upstream_error",
  "internal_error",
]);
export type ApiErrorCode = z.infer<typeof ApiErrorCode>;

/** The one body every failing master response carries. */
export const ApiError = z.object({
  error: ApiErrorCode,
  message: z.string(),
  /** For validation errors: each wrong field (dotted path) and what is wrong with it. */
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  /** Seconds to wait, for `rate_limited`. */
  retry_after: z.number().int().optional(),
});
export type ApiError = z.infer<typeof ApiError>;
