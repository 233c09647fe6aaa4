import { MAX_LOG_LINE_BYTES } from "@dockflow/protocol";
import { describe, expect, it } from "vitest";
import type { LogChunk } from "./demux.ts";
import { LineSplitter } from "./line-splitter.ts";

const out = (text: string, messageStart = false): LogChunk => ({
  stream: "stdout",
  data: Buffer.from(text),
  messageStart,
});
const err = (text: string, messageStart = false): LogChunk => ({
  stream: "stderr",
  data: Buffer.from(text),
  messageStart,
});

function run(splitter: LineSplitter, chunks: LogChunk[]) {
  return [...chunks.flatMap((c) => splitter.push(c)), ...splitter.end()];
}

describe("LineSplitter", () => {
  it("cuts lines per stream and keeps the order they complete in", () => {
    const lines = run(new LineSplitter({ timestamps: false }), [
      out("first\nsec"),
      err("oops\n"),
      out("ond\n\nlast without newline"),
    ]);
    expect(lines).toEqual([
      { stream: "stdout", text: "first" },
      { stream: "stderr", text: "oops" },
      { stream: "stdout", text: "second" },
      { stream: "stdout", text: "" },
      { stream: "stdout", text: "last without newline" },
    ]);
  });

  it("drops the \\r of a TTY's \\r\\n", () => {
    expect(run(new LineSplitter({ timestamps: false }), [out("a\r\nb\r\n")])).toEqual([
      { stream: "stdout", text: "a" },
      { stream: "stdout", text: "b" },
    ]);
  });

  it("never cuts a multi-byte character between chunks", () => {
    const bytes = Buffer.from("żółw\n");
    for (let cut = 0; cut <= bytes.length; cut++) {
      const s = new LineSplitter({ timestamps: false });
      const lines = [
        ...s.push({ stream: "stdout", data: bytes.subarray(0, cut), messageStart: false }),
        ...s.push({ stream: "stdout", data: bytes.subarray(cut), messageStart: false }),
      ];
      expect(lines).toEqual([{ stream: "stdout", text: "żółw" }]);
    }
  });

  it("splits a line longer than the limit into partial pieces, none lost", () => {
    const long = "x".repeat(MAX_LOG_LINE_BYTES * 2 + 10);
    const lines = run(new LineSplitter({ timestamps: false }), [out(`${long}\nnext\n`)]);
    expect(lines.map((l) => [l.text.length, l.partial])).toEqual([
      [MAX_LOG_LINE_BYTES, true],
      [MAX_LOG_LINE_BYTES, true],
      [10, undefined],
      [4, undefined],
    ]);
    expect(
      lines
        .slice(0, 3)
        .map((l) => l.text)
        .join(""),
    ).toBe(long);
  });

  it("keeps a line of exactly the limit whole", () => {
    const exact = "y".repeat(MAX_LOG_LINE_BYTES);
    expect(run(new LineSplitter({ timestamps: false }), [out(`${exact}\n`)])).toEqual([
      { stream: "stdout", text: exact },
    ]);
  });

  it("cuts long lines on character boundaries", () => {
    const s = new LineSplitter({ timestamps: false, maxLineBytes: 5 });
    const lines = run(s, [out("aé€b\n")]); // 1 + 2 + 3 + 1 bytes
    expect(lines).toEqual([
      { stream: "stdout", text: "aé", partial: true },
      { stream: "stdout", text: "€b" },
    ]);
  });

  it("takes Docker's timestamps off each message into time", () => {
    const s = new LineSplitter({ timestamps: true });
    const lines = run(s, [
      out("2026-11-30T01:00:00.000000001Z hello\n", true),
      err("2026-11-30T01:00:00.000000002Z bad thing\n", true),
      out("2026-11-30T01:00:00.000000003Z \n", true),
    ]);
    expect(lines).toEqual([
      { stream: "stdout", text: "hello", time: "2026-11-30T01:00:00.000000001Z" },
      { stream: "stderr", text: "bad thing", time: "2026-11-30T01:00:00.000000002Z" },
      { stream: "stdout", text: "", time: "2026-11-30T01:00:00.000000003Z" },
    ]);
  });

  it("finds timestamps at line starts of a raw (TTY) stream cut anywhere", () => {
    const raw = Buffer.from(
      "2026-11-30T01:00:00.000000001Z one\r\n2026-11-30T01:00:00.000000002Z two\r\n",
    );
    for (let cut = 0; cut <= raw.length; cut++) {
      const s = new LineSplitter({ timestamps: true });
      const lines = run(s, [
        { stream: "stdout", data: raw.subarray(0, cut), messageStart: false },
        { stream: "stdout", data: raw.subarray(cut), messageStart: false },
      ]);
      expect(lines, `cut at ${cut}`).toEqual([
        { stream: "stdout", text: "one", time: "2026-11-30T01:00:00.000000001Z" },
        { stream: "stdout", text: "two", time: "2026-11-30T01:00:00.000000002Z" },
      ]);
    }
  });

  it("joins Docker's partial messages into one line with the first message's time", () => {
    const s = new LineSplitter({ timestamps: true });
    const lines = run(s, [
      out("2026-11-30T01:00:00.000000001Z first half, ", true),
      out("2026-11-30T01:00:00.000000002Z second half\n", true),
    ]);
    expect(lines).toEqual([
      {
        stream: "stdout",
        text: "first half, second half",
        time: "2026-11-30T01:00:00.000000001Z",
      },
    ]);
  });

  it("keeps text that is not a timestamp where one was expected", () => {
    const s = new LineSplitter({ timestamps: true });
    expect(run(s, [out("not-a-time here\n", true)])).toEqual([
      { stream: "stdout", text: "not-a-time here" },
    ]);
  });

  it("finds Docker's timestamps inside a long TTY line, after each full message", () => {
    // As Docker 20.10 sends a 40000-byte TTY line with timestamps: 16384-byte messages.
    const ts = (n: number) => `2026-11-30T01:00:00.00000000${n}Z `;
    const a = (n: number) => "a".repeat(n);
    const raw = Buffer.from(
      `${ts(1)}${a(16384)}${ts(2)}${a(16384)}${ts(3)}${a(7232)}\r\n${ts(4)}short\r\n`,
    );
    const time = "2026-11-30T01:00:00.000000001Z";
    for (const size of [raw.length, 7, 1000, 16_384]) {
      const s = new LineSplitter({ timestamps: true, unmarkedMessageBytes: 16_384 });
      const lines: ReturnType<LineSplitter["push"]> = [];
      for (let at = 0; at < raw.length; at += size) {
        lines.push(
          ...s.push({ stream: "stdout", data: raw.subarray(at, at + size), messageStart: false }),
        );
      }
      lines.push(...s.end());
      expect(lines, `chunks of ${size}`).toEqual([
        { stream: "stdout", text: a(16384), time, partial: true },
        { stream: "stdout", text: a(16384), time, partial: true },
        { stream: "stdout", text: a(7232), time },
        { stream: "stdout", text: "short", time: "2026-11-30T01:00:00.000000004Z" },
      ]);
    }
  });
});
