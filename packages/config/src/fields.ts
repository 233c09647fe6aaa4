import { z } from "zod";

/** A pino level, `info` unless set. */
export const logLevel = () =>
  z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info");

/** A string that may be absent; surrounding space is dropped and blank means absent. */
export const optionalString = () =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

/** A whole number in [min, max] (`max` unbounded unless given). */
export const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max);

/**
 * A secret (token, key): at least `min` characters and never a documented placeholder (anything
 * starting `change-me`, as the example environment files have). The message never holds the value.
 */
export const secret = (min: number) =>
  z.string().superRefine((value, ctx) => {
    if (isPlaceholder(value)) {
      ctx.addIssue({
        code: "custom",
        message: "is a placeholder (it starts with change-me): set a real secret",
      });
    } else if (value.length < min) {
      ctx.addIssue({ code: "custom", message: `must be at least ${min} characters` });
    }
  });

/** Whether a secret is a documented placeholder: anything starting `change-me`, in any case. */
export function isPlaceholder(value: string): boolean {
  return value.trim().toLowerCase().startsWith("change-me");
}

/** A TCP port; 0 asks the system for a free one. */
export const port = () => int(0, 65_535);

/** `true`/`false`, `1`/`0` or `yes`/`no` (any case). */
export const boolean = (fallback: boolean) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined) return fallback;
      const word = v.trim().toLowerCase();
      if (["true", "1", "yes"].includes(word)) return true;
      if (["false", "0", "no"].includes(word)) return false;
      ctx.addIssue({ code: "custom", message: "must be true or false (or 1/0, yes/no)" });
      return z.NEVER;
    });

/** Items separated by `separator` (a comma unless given); space around items and empty items are dropped. */
export const list = (separator: RegExp = /,/) =>
  z
    .string()
    .optional()
    .transform((v) =>
      (v ?? "")
        .split(separator)
        .map((item) => item.trim())
        .filter((item) => item !== ""),
    );

/**
 * `key=value,key2=value2` into a string map: space around keys and values is dropped, a bare
 * `key` maps to "", empty items are skipped, an empty key is an error. With `json`, a value that
 * starts with `{` is read as a JSON object of strings instead.
 */
export const keyValueList = (options: { json?: boolean } = {}) =>
  z
    .string()
    .optional()
    .transform((v, ctx): Record<string, string> => {
      const text = (v ?? "").trim();
      if (options.json && text.startsWith("{")) {
        const parsed = z.record(z.string(), z.string()).safeParse(parseJson(text));
        if (parsed.success) return parsed.data;
        ctx.addIssue({ code: "custom", message: "must be a JSON object of strings" });
        return z.NEVER;
      }
      const out: Record<string, string> = {};
      for (const [index, part] of text.split(",").entries()) {
        const item = part.trim();
        if (item === "") continue;
        const eq = item.indexOf("=");
        const key = (eq < 0 ? item : item.slice(0, eq)).trim();
        if (key === "") {
          ctx.addIssue({ code: "custom", message: `item ${index + 1} has no key (key=value)` });
          return z.NEVER;
        }
        out[key] = eq < 0 ? "" : item.slice(eq + 1).trim();
      }
      return out;
    });

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * A JSON document checked by `schema`; absent or blank is undefined. The error names the first
 * bad path but never a value (the document may hold secrets).
 */
export const json = <T extends z.ZodType>(schema: T) =>
  z
    .string()
    .optional()
    .transform((v, ctx): z.output<T> | undefined => {
      if (v === undefined || v.trim() === "") return undefined;
      const parsed = parseJsonWith(schema, v);
      if ("data" in parsed) return parsed.data;
      ctx.addIssue({ code: "custom", message: parsed.error });
      return z.NEVER;
    });

/** Parses `text` as JSON checked by `schema`; the error names the first bad path, never a value. */
export function parseJsonWith<T extends z.ZodType>(
  schema: T,
  text: string,
): { data: z.output<T> } | { error: string } {
  const value = parseJson(text);
  if (value === undefined) return { error: "is not valid JSON" };
  const parsed = schema.safeParse(value);
  if (parsed.success) return { data: parsed.data };
  const issue = parsed.error.issues[0];
  const where = issue?.path.length ? ` at ${issue.path.join(".")}` : "";
  return { error: `${issue?.message ?? "is invalid"}${where}` };
}
