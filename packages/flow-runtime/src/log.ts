export type LogLevel = "debug" | "info" | "warn" | "error";

export const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];

/** A structured log sink: one entry per call. Never pass request data or secrets as fields. */
export type Logger = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => void;

export interface JsonLoggerOptions {
  /** Entries below this level are dropped (default `info`). */
  level?: LogLevel;
  /** Where lines go (default stdout). */
  write?: (line: string) => void;
}

/** Writes one JSON object per line: `{"time","level","msg",...fields}`. */
export function jsonLogger({
  level = "info",
  write = (line) => process.stdout.write(line),
}: JsonLoggerOptions = {}): Logger {
  const threshold = LOG_LEVELS.indexOf(level);
  return (entryLevel, msg, fields = {}) => {
    if (LOG_LEVELS.indexOf(entryLevel) < threshold) return;
    const time = new Date().toISOString();
    let line: string;
    try {
      line = JSON.stringify({ time, level: entryLevel, msg, ...fields });
    } catch {
      line = JSON.stringify({ time, level: entryLevel, msg });
    }
    write(`${line}\n`);
  };
}

/** A logger that drops everything. */
export const silentLogger: Logger = () => undefined;

/** The loggable part of an error: name, message, code and stack (no attached data). */
export function errorFields(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      name: error.name,
      message: error.message,
      ...(typeof code === "string" ? { code } : {}),
      stack: error.stack,
    };
  }
  return { message: String(error) };
}
