/** One log line as the console keeps it: which stream, the text, and its sequence number. */
export interface LogLine {
  seq: number;
  stream: "stdout" | "stderr";
  text: string;
  time?: string;
}

export interface LogBuffer {
  lines: LogLine[];
  next: number;
  /** Lines dropped: by the manager (a slow reader) and by this buffer's limit. */
  dropped: number;
}

export const emptyLogBuffer: LogBuffer = { lines: [], next: 1, dropped: 0 };

/** Appends a batch, keeping the last `max` lines; `droppedBefore` is what the manager dropped. */
export function appendLogs(
  buffer: LogBuffer,
  batch: { stream: "stdout" | "stderr"; text: string; time?: string | undefined }[],
  droppedBefore = 0,
  max = 5000,
): LogBuffer {
  let next = buffer.next;
  const added = batch.map((line) => ({
    seq: next++,
    stream: line.stream,
    text: line.text,
    ...(line.time !== undefined && { time: line.time }),
  }));
  const lines = [...buffer.lines, ...added];
  const over = Math.max(0, lines.length - max);
  return {
    lines: over ? lines.slice(over) : lines,
    next,
    dropped: buffer.dropped + droppedBefore + over,
  };
}

/** The lines containing `query` (case-insensitive); all of them for an empty query. */
export function searchLogs(lines: LogLine[], query: string): LogLine[] {
  const needle = query.trim().toLowerCase();
  if (!needle) return lines;
  return lines.filter((line) => line.text.toLowerCase().includes(needle));
}

/**
 * A log line made safe for a terminal: control characters (escape sequences among them) become
 * their visible Unicode symbols (ESC is shown as ␛), so text from a container can neither move the
 * cursor, change colours, set a title nor open a link; it is only ever shown.
 */
export function terminalSafe(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: these are what it replaces
  return text.replace(/[\u0000-\u0008\u000a-\u001f\u007f\u0080-\u009f]/g, (c) => {
    const code = c.charCodeAt(0);
    if (code < 0x20) return String.fromCharCode(0x2400 + code);
    if (code === 0x7f) return "\u2421";
    return "\ufffd";
  });
}

/** The whole buffer as a text file: one line each, `stream` prefixed for stderr. */
export function logsAsText(lines: LogLine[]): string {
  return lines
    .map(
      (line) =>
        `${line.time ? `${line.time} ` : ""}${line.stream === "stderr" ? "[stderr] " : ""}${line.text}\n`,
    )
    .join("");
}
