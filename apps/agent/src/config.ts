import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { metricsEnv } from "@dockflow/metrics";
import { z } from "zod";

const seconds = (fallback: number, min = 1) => z.coerce.number().int().min(min).default(fallback);
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

/** `key=value,key2=value2` (or bare `key`) into a label map. */
function labelList(raw: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const part of (raw ?? "").split(",")) {
    const item = part.trim();
    if (!item) continue;
    const eq = item.indexOf("=");
    if (eq === 0) throw new Error(`label "${item}" has no key`);
    if (eq < 0) labels[item] = "";
    else labels[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return labels;
}

/** The agent's whole configuration, parsed once from the environment (see docs/agent.md). */
export const AgentConfigSchema = z.object({
  MASTER_URL: z.url().transform((u) => u.replace(/\/+$/, "")),
  /** Or AGENT_API_KEY_FILE: a file holding the key (a mounted secret). */
  AGENT_API_KEY: z.string().min(1, "AGENT_API_KEY (or AGENT_API_KEY_FILE) is required"),
  DATA_DIR: z.string().min(1).default("/app/data"),
  DOCKER_HOST: optionalString,
  DOCKER_MODE: z.enum(["auto", "standalone", "swarm"]).default("auto"),
  REPORT_INTERVAL_SECONDS: seconds(30),
  COMMAND_POLL_WAIT_SECONDS: seconds(25, 0),
  EVENT_BUFFER_SIZE: z.coerce.number().int().min(10).default(1000),
  CLOUDFLARED_IMAGE: z.string().min(1).default("cloudflare/cloudflared:2025.9.0"),
  CLOUDFLARED_NETWORK: z.string().min(1).default("cloudflare-net"),
  CONNECTOR_NAME: z
    .string()
    .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/)
    .default("dockflare-agent-tunnel"),
  CONNECTOR_LABELS: optionalString.transform(labelList),
  DISCOVERY_SCOPE_LABEL: optionalString,
  AGENT_DISPLAY_NAME: z.string().min(1).max(200).default(hostname()),
  LABEL_PREFIX: z.string().min(1).default("dockflare."),
  HEALTH_HOST: z.string().min(1).default("0.0.0.0"),
  HEALTH_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  ...metricsEnv,
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

export type AgentConfig = z.infer<typeof AgentConfigSchema>;

/** Parses the environment; the error names each wrong variable but never echoes a value. */
export function parseConfig(env: Record<string, string | undefined>): AgentConfig {
  const keyFile = env.AGENT_API_KEY_FILE?.trim();
  if (!env.AGENT_API_KEY && keyFile) {
    try {
      env = { ...env, AGENT_API_KEY: readFileSync(keyFile, "utf8").trim() };
    } catch {
      throw new Error("invalid agent configuration: AGENT_API_KEY_FILE cannot be read");
    }
  }
  const result = AgentConfigSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new Error(`invalid agent configuration: ${problems.join("; ")}`);
  }
  return result.data;
}
