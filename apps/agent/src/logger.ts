import pino from "pino";

/** Paths that could carry a secret: redacted if they ever reach a log line. */
const REDACT = [
  "token",
  "*.token",
  "*.*.token",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "AGENT_API_KEY",
  "*.AGENT_API_KEY",
  "TUNNEL_TOKEN",
  "*.TUNNEL_TOKEN",
  "Env",
  "*.Env",
];

export function createLogger(level: string): pino.Logger {
  return pino({ name: "dockflow-agent", level, redact: { paths: REDACT, censor: "[redacted]" } });
}
