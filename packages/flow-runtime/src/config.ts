import { FLOW_CODE_DIR_IN_CONTAINER, FLOW_SOCKET_DIR_IN_CONTAINER } from "@dockflow/protocol";
import { LOG_LEVELS, type LogLevel } from "./log.ts";

/** The runtime's settings, read once from the environment by main.ts. */
export interface RuntimeConfig {
  /** FLOW_SOCKET_DIR: where `flow.sock` is created (default /run/flow). */
  socketDir: string;
  /** FLOW_CODE_DIR: where the handler module is loaded from (default /app/flow). */
  codeDir: string;
  /** FLOW_LOG_LEVEL: debug | info | warn | error (default info). */
  logLevel: LogLevel;
  /** FLOW_HEALTHCHECK_TIMEOUT_MS: how long `runtime.mjs healthcheck` waits for the pong (default 5000). */
  healthcheckTimeoutMs: number;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): RuntimeConfig {
  const logLevel = env.FLOW_LOG_LEVEL || "info";
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new Error(`FLOW_LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}`);
  }
  const timeout = Number(env.FLOW_HEALTHCHECK_TIMEOUT_MS || 5000);
  if (!Number.isInteger(timeout) || timeout <= 0) {
    throw new Error("FLOW_HEALTHCHECK_TIMEOUT_MS must be a positive integer");
  }
  return {
    socketDir: env.FLOW_SOCKET_DIR || FLOW_SOCKET_DIR_IN_CONTAINER,
    codeDir: env.FLOW_CODE_DIR || FLOW_CODE_DIR_IN_CONTAINER,
    logLevel: logLevel as LogLevel,
    healthcheckTimeoutMs: timeout,
  };
}
