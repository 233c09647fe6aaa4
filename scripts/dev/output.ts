const LEVELS: Record<number, string> = {
  10: "TRACE",
  20: "DEBUG",
  30: "INFO ",
  40: "WARN ",
  50: "ERROR",
  60: "FATAL",
};
const SKIP = new Set(["level", "time", "pid", "hostname", "msg", "name", "v"]);

/**
 * A pino JSON line as `HH:MM:SS LEVEL message key=value ...` (other lines unchanged), so four
 * services' logs stay readable in one terminal.
 */
export function formatLine(line: string): string {
  if (!line.startsWith("{")) return line;
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (typeof record.level !== "number" || typeof record.msg !== "string") return line;
  const time =
    typeof record.time === "number" ? new Date(record.time).toISOString().slice(11, 19) : "";
  const extra = Object.entries(record)
    .filter(([key]) => !SKIP.has(key))
    .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`);
  const level = LEVELS[record.level] ?? String(record.level);
  return [time, level, record.msg, ...extra].filter(Boolean).join(" ");
}

/** Bold and loud when stdout is a terminal, plain otherwise. */
export function loud(text: string): string {
  return process.stdout.isTTY ? `\x1b[1;33m${text}\x1b[0m` : text;
}
