import { type ContainerEnvelope, type HostEnvelope, MAX_ENVELOPE_BYTES } from "@dockflow/protocol";

/**
 * Newline-delimited JSON, the framing of the container protocol: one JSON value per line, UTF-8,
 * terminated by `\n`. Shared by the flow runtime (container side) and usable by the flow manager.
 */

/** What a {@link LineReader} makes of the bytes it is fed, one event per complete line. */
export type LineEvent =
  /** A line that parsed as JSON (any JSON value: checking the envelope shape is the caller's job). */
  | { type: "message"; value: unknown }
  /** A line that is not valid UTF-8 or not valid JSON. The reader carries on with the next line. */
  | { type: "invalid"; reason: "utf8" | "json"; message: string }
  /**
   * A line longer than `maxLineBytes`: reported as soon as the limit is passed, then everything up
   * to its terminating newline is discarded without being buffered. `bytes` is how much was seen.
   */
  | { type: "oversized"; bytes: number };

export interface LineReaderOptions {
  /** Longest accepted line in bytes, without its newline (default MAX_ENVELOPE_BYTES). */
  maxLineBytes?: number;
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/**
 * Incremental NDJSON decoder. Feed it chunks as they arrive (`push`), in any split: partial lines
 * are kept until their newline, several lines per chunk are all returned. Memory stays bounded by
 * `maxLineBytes`. Blank lines are skipped and a trailing `\r` is tolerated.
 */
export class LineReader {
  readonly maxLineBytes: number;
  #parts: Buffer[] = [];
  #size = 0;
  #discarding = false;
  readonly #decoder = new TextDecoder("utf-8", { fatal: true });

  constructor(options: LineReaderOptions = {}) {
    this.maxLineBytes = options.maxLineBytes ?? MAX_ENVELOPE_BYTES;
  }

  /** Bytes of the incomplete line currently held. */
  get bufferedBytes(): number {
    return this.#size;
  }

  /** Consumes a chunk and returns one event per line it completed (possibly none). */
  push(chunk: Uint8Array): LineEvent[] {
    const events: LineEvent[] = [];
    const bytes = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    while (start < bytes.length) {
      const newline = bytes.indexOf(NEWLINE, start);
      const end = newline === -1 ? bytes.length : newline;
      const length = end - start;
      if (this.#discarding) {
        // The rest of an oversized line: skip it, resume after its newline.
        if (newline !== -1) this.#discarding = false;
      } else if (this.#size + length > this.maxLineBytes) {
        events.push({ type: "oversized", bytes: this.#size + length });
        this.#clear();
        this.#discarding = newline === -1;
      } else if (newline === -1) {
        // Copy, so a small remainder does not pin the whole (possibly large) chunk in memory.
        this.#parts.push(Buffer.from(bytes.subarray(start, end)));
        this.#size += length;
      } else {
        const line =
          this.#parts.length === 0
            ? bytes.subarray(start, end)
            : Buffer.concat([...this.#parts, bytes.subarray(start, end)], this.#size + length);
        this.#clear();
        const event = this.#parse(line);
        if (event) events.push(event);
      }
      start = end + 1;
    }
    return events;
  }

  /** The stream ended: parses a final line that lacked its newline, and resets the reader. */
  end(): LineEvent[] {
    const pending = this.#discarding ? [] : this.#parts;
    const size = this.#size;
    this.#clear();
    this.#discarding = false;
    if (pending.length === 0) return [];
    const event = this.#parse(Buffer.concat(pending, size));
    return event ? [event] : [];
  }

  #clear(): void {
    this.#parts = [];
    this.#size = 0;
  }

  #parse(raw: Buffer): LineEvent | undefined {
    const line =
      raw.length > 0 && raw[raw.length - 1] === CARRIAGE_RETURN ? raw.subarray(0, -1) : raw;
    let text: string;
    try {
      text = this.#decoder.decode(line);
    } catch {
      return { type: "invalid", reason: "utf8", message: "line is not valid UTF-8" };
    }
    if (text.trim() === "") return undefined;
    try {
      return { type: "message", value: JSON.parse(text) };
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      return { type: "invalid", reason: "json", message: `invalid JSON: ${detail}` };
    }
  }
}

/** Thrown by {@link encodeEnvelope} when the encoded line would exceed the limit. */
export class EnvelopeTooLargeError extends Error {
  override readonly name = "EnvelopeTooLargeError";
  constructor(
    readonly bytes: number,
    readonly maxBytes: number,
  ) {
    super(`envelope is ${bytes} bytes, more than the ${maxBytes} bytes a line may hold`);
  }
}

/**
 * Encodes one envelope as a line: compact JSON plus `\n` (JSON.stringify escapes every newline
 * inside strings, so the line cannot be split). Throws {@link EnvelopeTooLargeError} beyond
 * `maxBytes`, and TypeError for values JSON cannot represent (BigInt, cycles).
 */
export function encodeEnvelope(
  envelope: HostEnvelope | ContainerEnvelope,
  maxBytes: number = MAX_ENVELOPE_BYTES,
): string {
  const json = JSON.stringify(envelope);
  if (typeof json !== "string") throw new TypeError("envelope is not JSON-serializable");
  // UTF-8 is at most 3 bytes per UTF-16 unit: skip the exact count when it cannot matter.
  if (json.length * 3 > maxBytes) {
    const bytes = Buffer.byteLength(json, "utf8");
    if (bytes > maxBytes) throw new EnvelopeTooLargeError(bytes, maxBytes);
  }
  return `${json}\n`;
}
