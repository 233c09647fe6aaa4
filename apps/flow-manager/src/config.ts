import { isAbsolute, join, resolve } from "node:path";
import { z } from "zod";
import { normalizeOrigin } from "./origin-guard.ts";

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost", "[::1]"]);

function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

const Int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const Percent = z.coerce.number().positive().max(10_000);
const Flag = (fallback: "true" | "false") =>
  z
    .enum(["true", "false", "1", "0"])
    .default(fallback)
    .transform((v) => v === "true" || v === "1");

/** Comma-separated http(s) origins, each written as browsers send it. */
const OriginList = z.string().transform((s, ctx) => {
  const origins: string[] = [];
  for (const item of s.split(",").map((o) => o.trim())) {
    if (item === "") continue;
    const origin = normalizeOrigin(item);
    if (!origin) {
      ctx.addIssue({
        code: "custom",
        message: `"${item}" is not an origin like https://host:port`,
      });
      return z.NEVER;
    }
    origins.push(origin);
  }
  return origins;
});

/** `k=v,k=v` (or JSON object) into a string map. */
const LabelList = z
  .string()
  .transform((s, ctx) => {
    const text = s.trim();
    if (text === "") return {};
    if (text.startsWith("{")) {
      try {
        return z.record(z.string(), z.string()).parse(JSON.parse(text));
      } catch {
        ctx.addIssue({ code: "custom", message: "must be a JSON object of strings" });
        return z.NEVER;
      }
    }
    const out: Record<string, string> = {};
    for (const pair of text.split(",")) {
      const eq = pair.indexOf("=");
      if (eq <= 0) {
        ctx.addIssue({ code: "custom", message: `"${pair}" is not key=value` });
        return z.NEVER;
      }
      out[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
    }
    return out;
  })
  .refine(
    (labels) => Object.keys(labels).every((k) => !k.startsWith("dockflow.flow.")),
    "must not set dockflow.flow.* labels (they are the manager's own)",
  );

const Env = z.object({
  HOST: z.string().min(1).default("127.0.0.1"),
  PORT: Int(0, 65535).default(8000),
  FLOW_MANAGER_TOKEN: z
    .string()
    .min(16, "FLOW_MANAGER_TOKEN must be at least 16 characters")
    .optional(),
  DATA_DIR: z.string().optional(),
  FLOW_ALLOWED_ROOTS: z.string().optional(),
  FLOW_SOCKET_ROOT: z.string().optional(),
  FLOW_MANAGER_ID: z
    .string()
    .regex(/^[\w.-]{1,64}$/, "FLOW_MANAGER_ID may contain letters, digits, '_', '.', '-'")
    .default("default"),
  FLOW_PUBLISH_HOST: z.string().min(1).default("127.0.0.1"),
  FLOW_MESSAGE_TIMEOUT_MS: Int(1, 600_000).default(30_000),
  FLOW_CONNECT_TIMEOUT_MS: Int(1, 600_000).default(10_000),
  FLOW_STOP_TIMEOUT_SECONDS: Int(0, 600).default(10),
  FLOW_STATUS_INTERVAL_MS: Int(100, 3_600_000).default(5_000),
  FLOW_CPU_WARN_PERCENT: Percent.default(90),
  FLOW_MEMORY_WARN_PERCENT: Percent.default(90),
  FLOW_WARN_HYSTERESIS_PERCENT: z.coerce.number().min(0).max(100).default(10),
  FLOW_MAX_PAYLOAD_BYTES: Int(1024, 64 * 1024 * 1024).default(1024 * 1024),
  FLOW_ACTIVITY_LOG_SIZE: Int(10, 1_000_000).default(1000),
  FLOW_STATUS_HISTORY_SIZE: Int(1, 10_000).default(50),
  FLOW_RECOVERY_RESET_MS: Int(0, 86_400_000).default(60_000),
  FLOW_DEFAULT_LABELS: LabelList.default({}),
  FLOW_LIVE_MESSAGE_ACTIVITY: Flag("false"),
  FLOW_CORS_ORIGINS: OriginList.default([]),
  FLOW_CONTAINER_INIT: Flag("true"),
  FLOW_LOG_CLIENT_BUFFER_BYTES: Int(64 * 1024, 256 * 1024 * 1024).default(1024 * 1024),
  FLOW_EXEC_ENABLED: Flag("false"),
  FLOW_EXEC_MAX_PER_CLIENT: Int(1, 1000).default(4),
  FLOW_EXEC_MAX_SESSIONS: Int(1, 10_000).default(32),
  DOCKER_HOST: z.string().optional(),
  LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
});

function splitRoots(value: string): string[] {
  return value
    .split(/[:,]/)
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

export const Config = Env.transform((env, ctx) => {
  const dataDir = resolve(env.DATA_DIR ?? join(process.cwd(), "data"));
  const allowedRoots = env.FLOW_ALLOWED_ROOTS
    ? splitRoots(env.FLOW_ALLOWED_ROOTS)
    : [join(dataDir, "flows")];
  for (const root of allowedRoots) {
    if (!isAbsolute(root)) {
      ctx.addIssue({
        code: "custom",
        path: ["FLOW_ALLOWED_ROOTS"],
        message: `"${root}" is not an absolute path`,
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
      message: `"${socketRoot}" is too long for Unix socket paths (keep it under 75 characters)`,
    });
  }
  if (!env.FLOW_MANAGER_TOKEN && !isLoopback(env.HOST)) {
    ctx.addIssue({
      code: "custom",
      path: ["FLOW_MANAGER_TOKEN"],
      message: `refusing to listen on non-loopback HOST "${env.HOST}" without FLOW_MANAGER_TOKEN: set a token or HOST=127.0.0.1`,
    });
  }
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
    dockerHost: env.DOCKER_HOST,
    logLevel: env.LOG_LEVEL,
  };
});
export type FlowManagerConfig = z.output<typeof Config>;

/** Parses the environment once; throws a readable error naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): FlowManagerConfig {
  // An empty variable means "not set".
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ""));
  const result = Config.safeParse(present);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join(".") || "env"}: ${i.message}`);
    throw new Error(`invalid flow manager configuration:\n${lines.join("\n")}`);
  }
  return result.data;
}

/** A config for tests and benchmarks: the defaults, overridden by the given env-style values. */
export function configFrom(env: Record<string, string | undefined>): FlowManagerConfig {
  return loadConfig(env as NodeJS.ProcessEnv);
}
