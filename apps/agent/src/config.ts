import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import {
  ConfigError,
  int,
  keyValueList,
  logLevel,
  optionalString,
  parseEnv,
  port,
  secret,
} from "@dockflow/config";
import { metricsEnv } from "@dockflow/metrics";
import { z } from "zod";

const seconds = (fallback: number, min = 1) => int(min).default(fallback);

/** The agent's whole configuration, parsed once from the environment (see docs/agent.md). */
export const AgentConfigSchema = z.object({
  MASTER_URL: z.url().transform((u) => u.replace(/\/+$/, "")),
  /** Or AGENT_API_KEY_FILE: a file holding the key (a mounted secret). */
  AGENT_API_KEY: z
    .string({ error: "AGENT_API_KEY (or AGENT_API_KEY_FILE) is required" })
    .min(1, "AGENT_API_KEY (or AGENT_API_KEY_FILE) is required")
    .pipe(secret(1)),
  DATA_DIR: z.string().min(1).default("/app/data"),
  DOCKER_HOST: optionalString(),
  DOCKER_MODE: z.enum(["auto", "standalone", "swarm"]).default("auto"),
  REPORT_INTERVAL_SECONDS: seconds(30),
  COMMAND_POLL_WAIT_SECONDS: seconds(25, 0),
  EVENT_BUFFER_SIZE: int(10).default(1000),
  CLOUDFLARED_IMAGE: z.string().min(1).default("cloudflare/cloudflared:2025.9.0"),
  CLOUDFLARED_NETWORK: z.string().min(1).default("cloudflare-net"),
  CONNECTOR_NAME: z
    .string()
    .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/)
    .default("dockflare-agent-tunnel"),
  /** Extra labels for the connector and its network: `k=v,k2=v2` (a bare `k` is an empty value). */
  CONNECTOR_LABELS: keyValueList(),
  DISCOVERY_SCOPE_LABEL: optionalString(),
  AGENT_DISPLAY_NAME: z.string().min(1).max(200).default(hostname()),
  LABEL_PREFIX: z.string().min(1).default("dockflare."),
  HEALTH_HOST: z.string().min(1).default("0.0.0.0"),
  HEALTH_PORT: port().default(8080),
  ...metricsEnv,
  LOG_LEVEL: logLevel(),
});

export type AgentConfig = z.infer<typeof AgentConfigSchema>;

/** Parses the environment; a ConfigError names each wrong variable but never echoes a value. */
export function parseConfig(env: Record<string, string | undefined>): AgentConfig {
  const keyFile = env.AGENT_API_KEY_FILE?.trim();
  if (!env.AGENT_API_KEY && keyFile) {
    try {
      env = { ...env, AGENT_API_KEY: readFileSync(keyFile, "utf8").trim() };
    } catch {
      throw new ConfigError("agent", [
        { variable: "AGENT_API_KEY_FILE", message: "the file cannot be read" },
      ]);
    }
  }
  return parseEnv("agent", AgentConfigSchema, env);
}
