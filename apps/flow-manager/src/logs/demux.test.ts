import { describe, expect, it } from "vitest";
import { type LogChunk, StreamDemuxer } from "./demux.ts";

function frame(type: number, text: string | Buffer): Buffer {
  const payload = typeof text === "string" ? Buffer.from(text) : text;
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

/** Concatenates what the demuxer gave, per message (a piece with messageStart opens one). */
function messages(chunks: LogChunk[]): [string, string][] {
  const out: [string, string][] = [];
  for (const c of chunks) {
    const last = out.at(-1);
    if (!c.messageStart && last && last[0] === c.stream) last[1] += c.data.toString();
    else out.push([c.stream, c.data.toString()]);
  }
  return out;
}

const STREAM = Buffer.concat([
  frame(1, "out one\n"),
  frame(2, "err one\n"),
  frame(1, "out two\n"),
  frame(1, "é, a two-byte character\n"),
  frame(2, ""),
  frame(2, "err two\n"),
]);
const EXPECTED: [string, string][] = [
  ["stdout", "out one\n"],
  ["stderr", "err one\n"],
  ["stdout", "out two\n"],
  ["stdout", "é, a two-byte character\n"],
  ["stderr", "err two\n"],
];

describe("StreamDemuxer", () => {
  it("separates stdout and stderr frames, several in one chunk, in order", () => {
    const d = new StreamDemuxer({ tty: false });
    const out = d.push(STREAM);
    expect(out.every((c) => c.messageStart)).toBe(true);
    expect(messages(out)).toEqual(EXPECTED);
    expect(d.end()).toEqual([]);
  });

  it("reassembles frames cut at every byte offset", () => {
    for (let cut = 0; cut <= STREAM.length; cut++) {
      const d = new StreamDemuxer({ tty: false });
      const out = [...d.push(STREAM.subarray(0, cut)), ...d.push(STREAM.subarray(cut)), ...d.end()];
      expect(messages(out), `cut at ${cut}`).toEqual(EXPECTED);
      // Frames are whole: one piece per message.
      expect(out).toHaveLength(EXPECTED.length);
    }
  });

  it("reassembles frames fed one byte at a time", () => {
    const d = new StreamDemuxer({ tty: false });
    const out: LogChunk[] = [];
    for (const byte of STREAM) out.push(...d.push(Buffer.from([byte])));
    expect(messages(out)).toEqual(EXPECTED);
  });

  it("passes a TTY stream through as stdout, whatever it contains", () => {
    const d = new StreamDemuxer({ tty: true });
    const raw = Buffer.concat([Buffer.from([1, 0, 0, 0]), Buffer.from("hello\r\n")]);
    expect(d.push(raw)).toEqual([{ stream: "stdout", data: raw, messageStart: false }]);
  });

  it("treats a stream that does not start with a frame header as raw output", () => {
    const d = new StreamDemuxer({ tty: false });
    const out = [...d.push(Buffer.from("plain te")), ...d.push(Buffer.from("xt\n"))];
    expect(Buffer.concat(out.map((c) => c.data)).toString()).toBe("plain text\n");
    expect(out.every((c) => c.stream === "stdout")).toBe(true);
  });

  it("splits a frame larger than the reassembly limit into pieces, only the first a message start", () => {
    const d = new StreamDemuxer({ tty: false, maxFrameBytes: 4 });
    const out = d.push(frame(2, "abcdefghij"));
    expect(out.map((c) => [c.data.toString(), c.messageStart])).toEqual([
      ["abcd", true],
      ["efgh", false],
      ["ij", false],
    ]);
  });

  it("gives what it has of a frame cut off by the end of the stream", () => {
    const d = new StreamDemuxer({ tty: false });
    const whole = frame(1, "cut off here");
    expect(d.push(whole.subarray(0, whole.length - 5))).toEqual([]);
    expect(messages(d.end())).toEqual([["stdout", "cut off"]]);
  });
});
