import { optionalString, port } from "@dockflow/config";
import { z } from "zod";

/**
 * The environment variables that decide who may read an app's `/metrics`, to spread into the
 * app's own configuration schema. Metrics have their own listener, apart from the app's API: off
 * unless METRICS_PORT is set, and bound to loopback unless METRICS_HOST says otherwise, so by
 * default nothing is exposed beyond the host.
 */
export const metricsEnv = {
  METRICS_HOST: optionalString().transform((v) => v ?? "127.0.0.1"),
  /** Unset: no metrics listener. 0 picks a free port (tests). */
  METRICS_PORT: z.preprocess(
    (v) => (typeof v === "string" && v.trim() === "" ? undefined : v),
    port().optional(),
  ),
  /** When set, a scrape must send `Authorization: Bearer <token>`. */
  METRICS_TOKEN: optionalString().refine((v) => v === undefined || v.length >= 16, {
    message: "METRICS_TOKEN must be at least 16 characters",
  }),
};

export interface MetricsListenOptions {
  host: string;
  port: number;
  token: string | undefined;
}

/** The listener options from a config parsed with {@link metricsEnv}; undefined: no listener. */
export function metricsListenOptions(config: {
  METRICS_HOST: string;
  METRICS_PORT?: number | undefined;
  METRICS_TOKEN?: string | undefined;
}): MetricsListenOptions | undefined {
  if (config.METRICS_PORT === undefined) return undefined;
  return { host: config.METRICS_HOST, port: config.METRICS_PORT, token: config.METRICS_TOKEN };
}
