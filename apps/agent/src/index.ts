import type pino from "pino";
import { createAgent, type RunningAgent } from "./agent.ts";
import { parseConfig } from "./config.ts";
import { createLogger } from "./logger.ts";

export type { RunningAgent } from "./agent.ts";
export { type AgentConfig, parseConfig } from "./config.ts";
export { CONNECTOR_ARGS } from "./connector.ts";

export interface StartAgentOverrides {
  logger?: pino.Logger;
  fetch?: typeof fetch;
}

/** Parses `env` (as process.env) and starts an agent; used by main.ts, tests and benchmarks. */
export function startAgent(
  env: Record<string, string | undefined>,
  overrides: StartAgentOverrides = {},
): Promise<RunningAgent> {
  const config = parseConfig(env);
  return createAgent(config, {
    logger: overrides.logger ?? createLogger(config.LOG_LEVEL),
    fetch: overrides.fetch,
  });
}
