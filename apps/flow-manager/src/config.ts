import { readFileSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import {
  boolean,
  int,
  json,
  keyValueList,
  list,
  logLevel,
  optionalString,
  parseEnv,
  parseJsonWith,
  port,
  secret,
} from "@dockflow/config";
import { metricsEnv, metricsListenOptions } from "@dockflow/metrics";
import { FlowWebhookEvent } from "@dockflow/protocol";
import { z } from "zod";
import { normalizeOrigin } from "./origin-guard.ts";

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost", "[::1]"]);

function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

const Percent = z.coerce.number().positive().max(10_000);
/** Comma-separated http(s) origins, each written as browsers send it. */
const OriginList = list().transform((items, ctx) => {
  const origins: string[] = [];
  for (const [index, item] of items.entries()) {
    const origin = normalizeOrigin(item);
    if (!origin) {
      ctx.addIssue({
        code: "custom",
        message: `item ${index + 1} is not an origin like https://host:port`,
      });
      return z.NEVER;
    }
    origins.push(origin);
  }
  return origins;
});

/** The webhooks a flow manager notifies (FLOW_WEBHOOKS or FLOW_WEBHOOKS_FILE). */
const WebhookList = z
  .array(
    z.strictObject({
      url: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }),
      events: z
        .array(FlowWebhookEvent)
        .min(1)
        .refine((events) => new Set(events).size === events.length, "lists an event twice"),
      secret: secret(16).max(256),
    }),
  )
  .max(100)
  .refine((hooks) => new Set(hooks.map((h) => h.url)).size === hooks.length, "lists a URL twice");

const Env = z.object({
  HOST: z.string().min(1).default("127.0.0.1"),
  PORT: port().default(8000),
  FLOW_MANAGER_TOKEN: secret(16).optional(),
  DATA_DIR: optionalString(),
  FLOW_ALLOWED_ROOTS: list(/[:,]/),
  FLOW_SOCKET_ROOT: optionalString(),
  FLOW_MANAGER_ID: z
    .string()
    .regex(/^[\w.-]{1,64}$/, "FLOW_MANAGER_ID may contain letters, digits, '_', '.', '-'")
    .default("default"),
  FLOW_PUBLISH_HOST: z.string().min(1).default("127.0.0.1"),
  FLOW_MESSAGE_TIMEOUT_MS: int(1, 600_000).default(30_000),
  FLOW_CONNECT_TIMEOUT_MS: int(1, 600_000).default(10_000),
  FLOW_STOP_TIMEOUT_SECONDS: int(0, 600).default(10),
  FLOW_STATUS_INTERVAL_MS: int(100, 3_600_000).default(5_000),
  FLOW_CPU_WARN_PERCENT: Percent.default(90),
  FLOW_MEMORY_WARN_PERCENT: Percent.default(90),
  FLOW_WARN_HYSTERESIS_PERCENT: z.coerce.number().min(0).max(100).default(10),
  FLOW_MAX_PAYLOAD_BYTES: int(1024, 64 * 1024 * 1024).default(1024 * 1024),
  FLOW_ACTIVITY_LOG_SIZE: int(10, 1_000_000).default(1000),
  FLOW_STATUS_HISTORY_SIZE: int(1, 10_000).default(50),
  FLOW_RECOVERY_RESET_MS: int(0, 86_400_000).default(60_000),
  FLOW_DEFAULT_LABELS: keyValueList({ json: true }).refine(
    (labels) => Object.keys(labels).every((k) => !k.startsWith("dockflow.flow.")),
    "must not set dockflow.flow.* labels (they are the manager's own)",
  ),
  FLOW_LIVE_MESSAGE_ACTIVITY: boolean(false),
  FLOW_CORS_ORIGINS: OriginList,
  FLOW_CONTAINER_INIT: boolean(true),
  FLOW_LOG_CLIENT_BUFFER_BYTES: int(64 * 1024, 256 * 1024 * 1024).default(1024 * 1024),
  FLOW_EXEC_ENABLED: boolean(false),
  FLOW_EXEC_MAX_PER_CLIENT: int(1, 1000).default(4),
  FLOW_EXEC_MAX_SESSIONS: int(1, 10_000).default(32),
  FLOW_WEBHOOKS: json(WebhookList),
  FLOW_WEBHOOKS_FILE: optionalString(),
  FLOW_WEBHOOK_DIR: optionalString(),
  FLOW_WEBHOOK_RETRY_SECONDS: int(1, 30 * 86_400).default(86_400),
  FLOW_WEBHOOK_BACKOFF_SECONDS: int(1, 86_400).default(10),
  FLOW_WEBHOOK_BACKOFF_MAX_SECONDS: int(1, 86_400).default(600),
  FLOW_WEBHOOK_TIMEOUT_SECONDS: int(1, 600).default(10),
  DOCKER_HOST: optionalString(),
  LOG_LEVEL: logLevel(),
  ...metricsEnv,
});

export const Config = Env.transform((env, ctx) => {
  const dataDir = resolve(env.DATA_DIR ?? join(process.cwd(), "data"));
  const allowedRoots =
    env.FLOW_ALLOWED_ROOTS.length > 0 ? env.FLOW_ALLOWED_ROOTS : [join(dataDir, "flows")];
  for (const [index, root] of allowedRoots.entries()) {
    if (!isAbsolute(root)) {
      ctx.addIssue({
        code: "custom",
        path: ["FLOW_ALLOWED_ROOTS"],
        message: `root ${index + 1} is not an absolute path`,
      });
    }
  }
  const socketRoot = resolve(
    env.FLOW_SOCKET_ROOT ??
      (env.DATA_DIR ? join(dataDir, "sockets") : "/tmp/dockflow-flow-sockets"),
  );
  // <root>/<12 hex>/flow.sock must fit in sun_path (108 bytes, with a margin).
  if (socketRoot.length + 1 + 12 + "/flow.sock".length > 100) {
    ctx.addIssue({
      code: "custom",
      path: ["FLOW_SOCKET_ROOT"],
      message: `${socketRoot.length} characters is too long for Unix socket paths (keep it under 75)`,
    });
  }
  if (!env.FLOW_MANAGER_TOKEN && !isLoopback(env.HOST)) {
    ctx.addIssue({
      code: "custom",
      path: ["FLOW_MANAGER_TOKEN"],
      message:
        "refusing to listen on a non-loopback HOST without FLOW_MANAGER_TOKEN: set a token or HOST=127.0.0.1",
    });
  }
  if (env.FLOW_WEBHOOKS && env.FLOW_WEBHOOKS_FILE) {
    ctx.addIssue({
      code: "custom",
      path: ["FLOW_WEBHOOKS_FILE"],
      message: "set FLOW_WEBHOOKS or FLOW_WEBHOOKS_FILE, not both",
    });
  }
  const webhooks = env.FLOW_WEBHOOKS_FILE
    ? readWebhookFile(env.FLOW_WEBHOOKS_FILE, ctx)
    : (env.FLOW_WEBHOOKS ?? []);
  return {
    host: env.HOST,
    port: env.PORT,
    token: env.FLOW_MANAGER_TOKEN,
    managerId: env.FLOW_MANAGER_ID,
    allowedRoots,
    socketRoot,
    publishHost: env.FLOW_PUBLISH_HOST,
    messageTimeoutMs: env.FLOW_MESSAGE_TIMEOUT_MS,
    connectTimeoutMs: env.FLOW_CONNECT_TIMEOUT_MS,
    stopTimeoutSeconds: env.FLOW_STOP_TIMEOUT_SECONDS,
    statusIntervalMs: env.FLOW_STATUS_INTERVAL_MS,
    cpuWarnPercent: env.FLOW_CPU_WARN_PERCENT,
    memoryWarnPercent: env.FLOW_MEMORY_WARN_PERCENT,
    warnHysteresisPercent: env.FLOW_WARN_HYSTERESIS_PERCENT,
    maxPayloadBytes: env.FLOW_MAX_PAYLOAD_BYTES,
    activityLogSize: env.FLOW_ACTIVITY_LOG_SIZE,
    statusHistorySize: env.FLOW_STATUS_HISTORY_SIZE,
    recoveryResetMs: env.FLOW_RECOVERY_RESET_MS,
    defaultLabels: env.FLOW_DEFAULT_LABELS,
    liveMessageActivity: env.FLOW_LIVE_MESSAGE_ACTIVITY,
    originPolicy: { loopbackOnly: isLoopback(env.HOST), allowedOrigins: env.FLOW_CORS_ORIGINS },
    containerInit: env.FLOW_CONTAINER_INIT,
    logClientBufferBytes: env.FLOW_LOG_CLIENT_BUFFER_BYTES,
    exec: {
      enabled: env.FLOW_EXEC_ENABLED,
      maxSessionsPerClient: env.FLOW_EXEC_MAX_PER_CLIENT,
      maxSessions: env.FLOW_EXEC_MAX_SESSIONS,
    },
    webhooks: {
      hooks: webhooks,
      dir: resolve(env.FLOW_WEBHOOK_DIR ?? join(dataDir, "webhooks")),
      policy: {
        baseDelayMs: env.FLOW_WEBHOOK_BACKOFF_SECONDS * 1000,
        maxDelayMs: env.FLOW_WEBHOOK_BACKOFF_MAX_SECONDS * 1000,
        windowMs: env.FLOW_WEBHOOK_RETRY_SECONDS * 1000,
      },
      timeoutMs: env.FLOW_WEBHOOK_TIMEOUT_SECONDS * 1000,
    },
    dockerHost: env.DOCKER_HOST,
    logLevel: env.LOG_LEVEL,
    metrics: metricsListenOptions(env),
  };
});
export type FlowManagerConfig = z.output<typeof Config>;
export type FlowWebhook = z.output<typeof WebhookList>[number];

/** The webhook list from FLOW_WEBHOOKS_FILE (read once, at start-up; never echoed). */
function readWebhookFile(path: string, ctx: z.RefinementCtx): z.output<typeof WebhookList> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    ctx.addIssue({ code: "custom", path: ["FLOW_WEBHOOKS_FILE"], message: `cannot read: ${code}` });
    return [];
  }
  const parsed = parseJsonWith(WebhookList, text);
  if ("data" in parsed) return parsed.data;
  ctx.addIssue({ code: "custom", path: ["FLOW_WEBHOOKS_FILE"], message: parsed.error });
  return [];
}

/** Parses the environment once; throws a ConfigError naming each bad variable (never its value). */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
): FlowManagerConfig {
  return parseEnv("flow manager", Config, env);
}

/** A config for tests and benchmarks: the defaults, overridden by the given env-style values. */
export function configFrom(env: Record<string, string | undefined>): FlowManagerConfig {
  return loadConfig(env);
}
