import { z } from "zod";

/**
 * The environment variables that decide who may read an app's `/metrics`, to spread into the
 * app's own configuration schema. The metrics listener is separate from the app's API and binds
 * loopback by default, so nothing is exposed beyond the host unless the operator says so.
 */
export function metricsEnv(defaultPort: number) {
  return {
    METRICS_HOST: z.string().min(1).default("127.0.0.1"),
    /** 0 picks a free port (tests). */
    METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(defaultPort),
    /** When set, a scrape must send `Authorization: Bearer <token>`. */
    METRICS_TOKEN: z
      .string()
      .optional()
      .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()))
      .pipe(z.string().min(16, "METRICS_TOKEN must be at least 16 characters").optional()),
  };
}

export interface MetricsListenOptions {
  host: string;
  port: number;
  token: string | undefined;
}

/** The listener options from a config parsed with {@link metricsEnv}'s fields. */
export function metricsListenOptions(config: {
  METRICS_HOST: string;
  METRICS_PORT: number;
  METRICS_TOKEN?: string | undefined;
}): MetricsListenOptions {
  return { host: config.METRICS_HOST, port: config.METRICS_PORT, token: config.METRICS_TOKEN };
}
