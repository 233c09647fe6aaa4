import { describe, expect, it } from "vitest";
import { appendLogs, emptyLogBuffer, logsAsText, searchLogs, terminalSafe } from "./log-buffer.ts";

describe("appendLogs", () => {
  it("numbers lines in order and keeps the last max, counting what it drops", () => {
    let buffer = appendLogs(emptyLogBuffer, [
      { stream: "stdout", text: "a" },
      { stream: "stderr", text: "b" },
    ]);
    buffer = appendLogs(buffer, [{ stream: "stdout", text: "c", time: "t" }], 4, 2);
    expect(buffer.lines).toEqual([
      { seq: 2, stream: "stderr", text: "b" },
      { seq: 3, stream: "stdout", text: "c", time: "t" },
    ]);
    expect(buffer.next).toBe(4);
    expect(buffer.dropped).toBe(5);
  });
});

it("searchLogs keeps the lines containing the query, ignoring case", () => {
  const { lines } = appendLogs(emptyLogBuffer, [
    { stream: "stdout", text: "Ready on 8080" },
    { stream: "stdout", text: "request /" },
  ]);
  expect(searchLogs(lines, "READY").map((l) => l.text)).toEqual(["Ready on 8080"]);
  expect(searchLogs(lines, "  ")).toBe(lines);
});

it("terminalSafe shows control characters instead of obeying them", () => {
  expect(terminalSafe("\u001b]0;title\u0007\u001b[31mred\ttab")).toBe("␛]0;title␇␛[31mred\ttab");
  expect(terminalSafe("a\r\nb\u007f\u009b")).toBe("a␍␊b␡\ufffd");
  expect(terminalSafe("<img src=x onerror=alert(1)>")).toBe("<img src=x onerror=alert(1)>");
});

it("logsAsText writes one line each, stderr marked", () => {
  const { lines } = appendLogs(emptyLogBuffer, [
    { stream: "stdout", text: "out" },
    { stream: "stderr", text: "err", time: "2026-01-01T00:00:00Z" },
  ]);
  expect(logsAsText(lines)).toBe("out\n2026-01-01T00:00:00Z [stderr] err\n");
});
