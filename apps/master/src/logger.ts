import pino from "pino";

/** Paths pino blanks out wherever they appear in a log object: keys, tokens, authorization headers. */
export const REDACT_PATHS = [
  "token",
  "key",
  "apiToken",
  "api_token",
  "authorization",
  "password",
  "secret",
  "*.token",
  "*.key",
  "*.apiToken",
  "*.authorization",
  "*.password",
  "*.secret",
  "headers.authorization",
  "req.headers.authorization",
  "command.token",
  "payload.token",
];

export function createLogger(level: string, destination?: pino.DestinationStream): pino.Logger {
  return pino(
    { name: "dockflow-master", level, redact: { paths: REDACT_PATHS, censor: "[redacted]" } },
    destination,
  );
}
