import {
  boolean,
  ConfigError,
  int,
  isPlaceholder,
  list,
  logLevel,
  optionalString,
  parseEnv,
  port,
  secret,
} from "@dockflow/config";
import { metricsEnv } from "@dockflow/metrics";
import { z } from "zod";
import { SecretFileError, withSecretFiles } from "./secret-files.ts";

const seconds = (fallback: number) => int(1).default(fallback);

/** The master's configuration: parsed once, from the environment, by `parseConfig`. */
export const ConfigSchema = z
  .object({
    PORT: port().default(8080),
    HOST: z.string().min(1).default("127.0.0.1"),
    /** PostgreSQL URL; absent: an embedded PGlite database in DATA_DIR. */
    DATABASE_URL: optionalString()
      .pipe(z.url().optional())
      .refine((url) => url === undefined || !isPlaceholder(passwordOf(url)), {
        message: "its password is a placeholder (it starts with change-me): set a real one",
      }),
    DATA_DIR: z.string().min(1).default(".data/master"),
    DATABASE_POOL_SIZE: int(2, 200).default(10),
    MASTER_ADMIN_TOKEN: z.string({ error: "MASTER_ADMIN_TOKEN is required" }).pipe(secret(16)),
    CLOUDFLARE_API_TOKEN: optionalString().pipe(secret(20).optional()),
    CLOUDFLARE_ACCOUNT_ID: optionalString(),
    CLOUDFLARE_BASE_URL: optionalString().pipe(z.url().optional()),
    /** Zones of the embedded Cloudflare stand-in used when no API token is configured. */
    CLOUDFLARE_SANDBOX_ZONES: list().transform((zones) =>
      zones.length > 0 ? zones : ["example.com"],
    ),
    GRACE_PERIOD_SECONDS: seconds(600),
    AGENT_OFFLINE_AFTER_SECONDS: seconds(90),
    COMMAND_VISIBILITY_TIMEOUT_SECONDS: seconds(60),
    LONG_POLL_MAX_SECONDS: seconds(60),
    SWEEP_INTERVAL_SECONDS: seconds(10),
    RECONCILE_INTERVAL_SECONDS: seconds(300),
    REGISTER_RATE_LIMIT_PER_MINUTE: int(1).default(30),
    AUTH_FAILURE_LIMIT_PER_MINUTE: int(1).default(20),
    /** How long a live agent key's lookup is cached at most (changes invalidate it); 0: off. */
    AGENT_KEY_CACHE_SECONDS: int(0, 3600).default(30),
    TRUST_PROXY: boolean(false),
    BODY_LIMIT_BYTES: int(1024).default(1024 * 1024),
    MASTER_REGION: optionalString(),
    LABEL_PREFIX: z
      .string()
      .regex(/^[a-z0-9_.-]+\.$/, "LABEL_PREFIX must end with a dot, e.g. dockflare.")
      .default("dockflare."),
    /** How long a console session lasts, in seconds (default 12 h). */
    MASTER_SESSION_TTL: seconds(12 * 3600),
    /** The console's static build; absent: apps/console/dist (repository) or ./console (image), if there. */
    MASTER_CONSOLE_DIR: optionalString(),
    /** Where browsers reach the flow manager (`GET /console/config`, the CSP's connect-src). */
    MASTER_CONSOLE_FLOW_MANAGER_URL: optionalString().pipe(
      z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
    ),
    /** Bytes queued for a change-stream client that does not read before it is cut off. */
    MASTER_STREAM_BUFFER_BYTES: int(4096).default(1024 * 1024),
    MASTER_STREAM_PING_SECONDS: seconds(15),
    /** How long changes stay available to stream clients resuming with Last-Event-ID. */
    MASTER_CHANGE_RETENTION_SECONDS: seconds(24 * 3600),
    /** How long a webhook delivery is retried before it is marked failed (default 24 h). */
    WEBHOOK_RETRY_SECONDS: seconds(24 * 3600),
    /** Delay before a failed delivery's second attempt; doubles after each failure. */
    WEBHOOK_BACKOFF_SECONDS: seconds(10),
    /** Longest delay between two attempts of a delivery. */
    WEBHOOK_BACKOFF_MAX_SECONDS: seconds(600),
    /** How long one attempt waits for the receiver's answer. */
    WEBHOOK_TIMEOUT_SECONDS: seconds(10),
    /** How often due deliveries are looked for (retries, deliveries queued by other masters). */
    WEBHOOK_POLL_SECONDS: seconds(5),
    TUNNEL_NAME_PREFIX: z
      .string()
      .regex(/^[a-zA-Z0-9_.-]*$/)
      .default("dockflow-"),
    ...metricsEnv,
    LOG_LEVEL: logLevel(),
  })
  .refine(
    (c) => (c.CLOUDFLARE_API_TOKEN === undefined) === (c.CLOUDFLARE_ACCOUNT_ID === undefined),
    {
      message: "set both CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID, or neither",
      path: ["CLOUDFLARE_ACCOUNT_ID"],
    },
  );

export type Config = z.infer<typeof ConfigSchema>;

/**
 * Parses the environment (secrets may come from `<NAME>_FILE`, see secret-files.ts); a ConfigError
 * names the wrong variables but never echoes their values.
 */
export function parseConfig(env: Record<string, string | undefined>): Config {
  let withFiles: Record<string, string | undefined>;
  try {
    withFiles = withSecretFiles(env);
  } catch (error) {
    if (error instanceof SecretFileError) {
      throw new ConfigError("master", [{ variable: "environment", message: error.message }]);
    }
    throw error;
  }
  return parseEnv("master", ConfigSchema, withFiles);
}

/** The password of a database URL, decoded ("" when it has none or cannot be read). */
function passwordOf(url: string): string {
  try {
    return decodeURIComponent(new URL(url).password);
  } catch {
    return "";
  }
}
