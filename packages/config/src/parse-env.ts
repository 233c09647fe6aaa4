import type { z } from "zod";

/**
 * A configuration the service cannot start with. The message names each wrong variable and
 * what is wrong with it, never the value (it may be a secret).
 */
export class ConfigError extends Error {
  constructor(
    readonly service: string,
    readonly problems: { variable: string; message: string }[],
  ) {
    super(
      `invalid ${service} configuration: ${problems.map((p) => `${p.variable}: ${p.message}`).join("; ")}`,
    );
    this.name = "ConfigError";
  }
}

/**
 * Parses the environment once with `schema`. A variable set to the empty string counts as not
 * set (so its default applies). Throws a ConfigError listing every problem.
 */
export function parseEnv<S extends z.ZodType>(
  service: string,
  schema: S,
  env: Record<string, string | undefined>,
): z.output<S> {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ""));
  const result = schema.safeParse(present);
  if (result.success) return result.data;
  throw new ConfigError(
    service,
    result.error.issues.map((issue) => ({
      variable: issue.path.map(String).join(".") || "environment",
      message: issue.message,
    })),
  );
}
