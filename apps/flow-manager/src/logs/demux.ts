import type { LogLine } from "@dockflow/protocol";

export type LogStreamName = LogLine["stream"];

/** A piece of one output stream, as Docker sent it. */
export interface LogChunk {
  stream: LogStreamName;
  data: Buffer;
  /**
   * The piece starts one of Docker's log messages (a frame of the multiplexed stream), which
   * begins with its timestamp when timestamps were asked for. Never set for TTY output.
   */
  messageStart: boolean;
}

const HEADER_BYTES = 8;
/** Frames are reassembled up to this size (Docker's log messages are at most 16 KiB). */
const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;

/**
 * Docker's log (and attach/exec) stream of a container without a TTY multiplexes stdout and
 * stderr in frames: an 8-byte header (stream type, 3 zero bytes, payload size as uint32 BE), then
 * the payload. Chunks from the socket cut frames anywhere; this reassembles them. A container
 * with a TTY has one raw stream (stdout), no headers. A header that is not a valid frame header
 * means the stream is raw after all: from there on everything is passed through as stdout.
 */
export class StreamDemuxer {
  private raw: boolean;
  private readonly maxFrameBytes: number;
  private header = Buffer.alloc(0);
  private stream: LogStreamName = "stdout";
  /** Payload bytes of the current frame still to come (0: a header is next). */
  private remaining = 0;
  private parts: Buffer[] = [];
  private partsBytes = 0;
  /** The current frame's first piece has been emitted (it was larger than maxFrameBytes). */
  private frameStarted = false;

  constructor(options: { tty: boolean; maxFrameBytes?: number }) {
    this.raw = options.tty;
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  }

  push(chunk: Buffer): LogChunk[] {
    if (this.raw) return chunk.length > 0 ? [rawChunk(chunk)] : [];
    const out: LogChunk[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      if (this.remaining === 0) {
        const need = HEADER_BYTES - this.header.length;
        this.header = Buffer.concat([this.header, chunk.subarray(offset, offset + need)]);
        offset += Math.min(need, chunk.length - offset);
        if (this.header.length < HEADER_BYTES) break;
        const type = this.header[0];
        if ((type !== 0 && type !== 1 && type !== 2) || this.header.readUIntBE(1, 3) !== 0) {
          // Not multiplexed: everything, this "header" included, is raw output.
          this.raw = true;
          out.push(rawChunk(Buffer.concat([this.header, chunk.subarray(offset)])));
          this.header = Buffer.alloc(0);
          return out;
        }
        this.stream = type === 2 ? "stderr" : "stdout";
        this.remaining = this.header.readUInt32BE(4);
        this.header = Buffer.alloc(0);
        this.frameStarted = false;
        continue;
      }
      const take = Math.min(
        this.remaining,
        chunk.length - offset,
        this.maxFrameBytes - this.partsBytes,
      );
      this.parts.push(chunk.subarray(offset, offset + take));
      this.partsBytes += take;
      this.remaining -= take;
      offset += take;
      if (this.remaining === 0 || this.partsBytes >= this.maxFrameBytes) out.push(this.emit());
    }
    return out;
  }

  /** What is left of a frame cut off by the end of the stream. */
  end(): LogChunk[] {
    this.remaining = 0;
    this.header = Buffer.alloc(0);
    return this.partsBytes > 0 ? [this.emit()] : [];
  }

  private emit(): LogChunk {
    const data = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
    const piece = { stream: this.stream, data, messageStart: !this.frameStarted };
    this.frameStarted = true;
    this.parts = [];
    this.partsBytes = 0;
    return piece;
  }
}

function rawChunk(data: Buffer): LogChunk {
  return { stream: "stdout", data, messageStart: false };
}
