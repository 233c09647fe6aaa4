import { describe, expect, test } from "vitest";
import { EnvelopeTooLargeError, encodeEnvelope, type LineEvent, LineReader } from "../src/index.ts";

const bytes = (text: string): Buffer => Buffer.from(text, "utf8");

function values(events: LineEvent[]): unknown[] {
  return events.map((event) => (event.type === "message" ? event.value : event));
}

describe("LineReader", () => {
  test("joins a line split across chunks, even inside a multi-byte character", () => {
    const line = bytes('{"id":"1","command":"echo","data":"héllo ✓"}\n');
    const reader = new LineReader();
    const events: LineEvent[] = [];
    for (let i = 0; i < line.length; i++) events.push(...reader.push(line.subarray(i, i + 1)));
    expect(values(events)).toEqual([{ id: "1", command: "echo", data: "héllo ✓" }]);
    expect(reader.bufferedBytes).toBe(0);
  });

  test("returns every line of a chunk, and keeps the incomplete tail", () => {
    const reader = new LineReader();
    expect(values(reader.push(bytes('{"a":1}\n{"b":2}\r\n\n  \n{"c":')))).toEqual([
      { a: 1 },
      { b: 2 },
    ]);
    expect(reader.bufferedBytes).toBe(5);
    expect(values(reader.push(bytes("3}\n")))).toEqual([{ c: 3 }]);
  });

  test("reports invalid JSON and invalid UTF-8 and carries on", () => {
    const reader = new LineReader();
    const events = reader.push(
      Buffer.concat([
        bytes("not json\n"),
        Buffer.from([0xff, 0xfe, 0x7b, 0x7d, 0x0a]),
        bytes("[1]\n"),
      ]),
    );
    expect(events).toEqual([
      { type: "invalid", reason: "json", message: expect.stringContaining("invalid JSON") },
      { type: "invalid", reason: "utf8", message: "line is not valid UTF-8" },
      { type: "message", value: [1] },
    ]);
  });

  test("drops an oversized line without buffering it, then reads the next line", () => {
    const reader = new LineReader({ maxLineBytes: 16 });
    expect(reader.push(bytes("x".repeat(10)))).toEqual([]);
    expect(reader.push(bytes("x".repeat(10)))).toEqual([{ type: "oversized", bytes: 20 }]);
    expect(reader.bufferedBytes).toBe(0);
    // The rest of the long line is skipped, chunk after chunk, without being held.
    for (let i = 0; i < 100; i++) {
      expect(reader.push(bytes("y".repeat(1000)))).toEqual([]);
      expect(reader.bufferedBytes).toBe(0);
    }
    expect(values(reader.push(bytes('yyy\n{"ok":true}\n')))).toEqual([{ ok: true }]);
  });

  test("reports an oversized complete line inside one chunk", () => {
    const reader = new LineReader({ maxLineBytes: 8 });
    expect(values(reader.push(bytes(`"${"z".repeat(20)}"\n"short"\n`)))).toEqual([
      { type: "oversized", bytes: 22 },
      "short",
    ]);
  });

  test("accepts a line of exactly the limit", () => {
    const reader = new LineReader({ maxLineBytes: 8 });
    expect(values(reader.push(bytes('"123456"\n')))).toEqual(["123456"]);
  });

  test("end() parses a final line without newline", () => {
    const reader = new LineReader();
    expect(reader.push(bytes('{"last":true}'))).toEqual([]);
    expect(values(reader.end())).toEqual([{ last: true }]);
    expect(reader.end()).toEqual([]);
  });
});

describe("encodeEnvelope", () => {
  test("writes one line that the reader turns back into the envelope", () => {
    const envelope = { reply_to: "7", command: "result", data: { text: "a\nb\u2028c", n: 1 } };
    const line = encodeEnvelope(envelope);
    expect(line.endsWith("\n")).toBe(true);
    expect(line.indexOf("\n")).toBe(line.length - 1);
    expect(values(new LineReader().push(bytes(line)))).toEqual([envelope]);
  });

  test("refuses envelopes over the limit and values JSON cannot hold", () => {
    expect(() => encodeEnvelope({ command: "x", data: "é".repeat(100) }, 150)).toThrow(
      EnvelopeTooLargeError,
    );
    expect(() => encodeEnvelope({ command: "x", data: 1n })).toThrow(TypeError);
  });
});
