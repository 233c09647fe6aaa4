import { type LogLine, MAX_LOG_LINE_BYTES } from "@dockflow/protocol";
import type { LogChunk, LogStreamName } from "./demux.ts";
import { parseTimeNs } from "./docker-time.ts";

const NEWLINE = 0x0a;
const SPACE = 0x20;
/** A timestamp prefix is Docker's RFC 3339 time (30 characters) and a space; allow some slack. */
const MAX_PREFIX_BYTES = 40;
/** Docker's log messages hold at most this much of a line: a longer line is several messages. */
export const DOCKER_MESSAGE_BYTES = 16 * 1024;

interface StreamState {
  parts: Buffer[];
  bytes: number;
  time: string | undefined;
  /** The next bytes start a message: with timestamps on, they begin with "<time> ". */
  expectTime: boolean;
  /** The start of a timestamp prefix cut off by the end of a chunk. */
  prefix: Buffer;
  /** Bytes of the current message so far (for streams whose messages are not marked). */
  messageBytes: number;
}

export interface LineSplitterOptions {
  /** Docker was asked for timestamps: each message starts with "<RFC 3339 time> ". */
  timestamps: boolean;
  /**
   * For a raw (TTY) stream, which does not mark where messages start: the size of Docker's
   * messages. A line longer than that is several messages, each with its own timestamp, the next
   * starting right after this many bytes.
   */
  unmarkedMessageBytes?: number;
  maxLineBytes?: number;
}

/**
 * Turns each output stream's bytes into lines, in order: UTF-8 decoded, without the line break
 * (nor a trailing `\r`, which a TTY adds). A line longer than `maxLineBytes` is cut, on a UTF-8
 * character boundary, into pieces of at most that size; every piece but the last is `partial`.
 * With timestamps, the time that starts each message is taken off the text into `time` (a line
 * made of several messages keeps the first one's time).
 */
export class LineSplitter {
  private readonly states = new Map<LogStreamName, StreamState>();
  private readonly maxLineBytes: number;

  constructor(private readonly options: LineSplitterOptions) {
    this.maxLineBytes = options.maxLineBytes ?? MAX_LOG_LINE_BYTES;
  }

  push(chunk: LogChunk): LogLine[] {
    const st = this.state(chunk.stream);
    const out: LogLine[] = [];
    const { data } = chunk;
    if (chunk.messageStart) this.startMessage(st);
    const messageBytes = this.options.timestamps ? this.options.unmarkedMessageBytes : undefined;
    let offset = 0;
    while (offset < data.length) {
      if (this.options.timestamps && st.expectTime) {
        const room = MAX_PREFIX_BYTES - st.prefix.length;
        const space = data.indexOf(SPACE, offset);
        if (space !== -1 && space - offset < room) {
          this.takePrefix(st, chunk.stream, data.subarray(offset, space), out);
          offset = space + 1;
          continue;
        }
        if (space === -1 && data.length - offset < room) {
          st.prefix = Buffer.concat([st.prefix, data.subarray(offset)]);
          break;
        }
        // No timestamp where one was expected: the bytes are text.
        st.expectTime = false;
        this.append(st, chunk.stream, st.prefix, out);
        st.prefix = Buffer.alloc(0);
      }
      const newline = data.indexOf(NEWLINE, offset);
      let end = newline === -1 ? data.length : newline;
      // A message that fills Docker's size without a line break ends there; the next one (the
      // rest of the line) starts with its own timestamp.
      const full = messageBytes !== undefined && end - offset >= messageBytes - st.messageBytes;
      if (full) end = offset + (messageBytes - st.messageBytes);
      this.append(st, chunk.stream, data.subarray(offset, end), out);
      st.messageBytes += end - offset;
      offset = end;
      if (full) {
        this.startMessage(st);
        continue;
      }
      if (newline === -1) break;
      out.push(this.line(st, chunk.stream, false));
      this.startMessage(st);
      offset = newline + 1;
    }
    return out;
  }

  /** The end of the stream: what is pending becomes a last line (it had no line break). */
  end(): LogLine[] {
    const out: LogLine[] = [];
    for (const [stream, st] of this.states) {
      this.append(st, stream, st.prefix, out);
      st.prefix = Buffer.alloc(0);
      if (st.bytes > 0) out.push(this.line(st, stream, false));
    }
    return out;
  }

  private state(stream: LogStreamName): StreamState {
    let st = this.states.get(stream);
    if (!st) {
      st = {
        parts: [],
        bytes: 0,
        time: undefined,
        expectTime: true,
        prefix: Buffer.alloc(0),
        messageBytes: 0,
      };
      this.states.set(stream, st);
    }
    return st;
  }

  private startMessage(st: StreamState): void {
    st.expectTime = true;
    st.messageBytes = 0;
  }

  private takePrefix(st: StreamState, stream: LogStreamName, rest: Buffer, out: LogLine[]): void {
    const prefix = st.prefix.length > 0 ? Buffer.concat([st.prefix, rest]) : rest;
    st.prefix = Buffer.alloc(0);
    st.expectTime = false;
    const text = prefix.toString("latin1");
    if (parseTimeNs(text) !== undefined) {
      if (st.bytes === 0) st.time = text;
    } else {
      this.append(st, stream, Buffer.concat([prefix, Buffer.from(" ")]), out);
    }
  }

  private append(st: StreamState, stream: LogStreamName, bytes: Buffer, out: LogLine[]): void {
    if (bytes.length === 0) return;
    st.parts.push(bytes);
    st.bytes += bytes.length;
    if (st.bytes <= this.maxLineBytes) return;
    let all = Buffer.concat(st.parts);
    while (all.length > this.maxLineBytes) {
      const cut = utf8Boundary(all, this.maxLineBytes);
      st.parts = [all.subarray(0, cut)];
      st.bytes = cut;
      out.push(this.line(st, stream, true));
      all = all.subarray(cut);
    }
    st.parts = [all];
    st.bytes = all.length;
  }

  private line(st: StreamState, stream: LogStreamName, partial: boolean): LogLine {
    let text = (st.parts.length === 1 ? st.parts[0]! : Buffer.concat(st.parts)).toString("utf8");
    if (!partial && text.endsWith("\r")) text = text.slice(0, -1);
    const line: LogLine = { stream, text };
    if (st.time !== undefined) line.time = st.time;
    if (partial) line.partial = true;
    else st.time = undefined;
    st.parts = [];
    st.bytes = 0;
    return line;
  }
}

/** The largest cut ≤ `max` that does not split a UTF-8 character (`max` when there is none). */
function utf8Boundary(buf: Buffer, max: number): number {
  for (let cut = max; cut > max - 4 && cut > 0; cut--) {
    if (((buf[cut] ?? 0) & 0xc0) !== 0x80) return cut;
  }
  return max;
}
