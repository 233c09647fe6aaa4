import { describe, expect, it } from "vitest";
import { appendTranscript, emptyTranscript, parseMessageData, showData } from "./message-log.ts";

const received = (command: string, data: unknown) => ({
  container_id: "c1",
  message: { command, data, reply_to: "m1" },
  timestamp: "2026-01-01T00:00:00Z",
});

describe("appendTranscript", () => {
  it("keeps request, message_sent, status and reply in order", () => {
    let t = emptyTranscript;
    t = appendTranscript(t, { type: "request", command: "echo", data: { a: 1 } });
    t = appendTranscript(t, { type: "sent", sent: { container_id: "c1", message_id: "m1" } });
    t = appendTranscript(t, { type: "status", received: received("status", { step: 1 }) });
    t = appendTranscript(t, { type: "reply", received: received("result", { a: 1 }) });
    expect(t.entries).toEqual([
      { kind: "request", seq: 1, command: "echo", data: { a: 1 } },
      { kind: "sent", seq: 2, message_id: "m1" },
      { kind: "status", seq: 3, data: { step: 1 } },
      { kind: "reply", seq: 4, command: "result", data: { a: 1 } },
    ]);
  });

  it("records a wire error or a client error", () => {
    let t = appendTranscript(emptyTranscript, {
      type: "error",
      error: { error_type: "socket_timeout_error", message: "no reply", details: {} },
    });
    t = appendTranscript(t, { type: "error", error: new TypeError("offline") });
    expect(t.entries).toEqual([
      { kind: "error", seq: 1, error_type: "socket_timeout_error", message: "no reply" },
      { kind: "error", seq: 2, error_type: "TypeError", message: "offline" },
    ]);
  });

  it("drops the oldest entries beyond the maximum", () => {
    let t = emptyTranscript;
    for (let i = 0; i < 5; i++)
      t = appendTranscript(t, { type: "request", command: `c${i}`, data: i }, 3);
    expect(t.entries.map((e) => e.seq)).toEqual([3, 4, 5]);
  });
});

it("showData prints JSON or (none)", () => {
  expect(showData(undefined)).toBe("(none)");
  expect(showData("<img src=x>")).toBe('"<img src=x>"');
  expect(showData({ a: [1] })).toBe('{\n  "a": [\n    1\n  ]\n}');
});

it("parseMessageData reads JSON and explains what is not", () => {
  expect(parseMessageData("  ")).toEqual({ ok: true, data: undefined });
  expect(parseMessageData('{"x":1}')).toEqual({ ok: true, data: { x: 1 } });
  const bad = parseMessageData("{x");
  expect(bad.ok).toBe(false);
  expect(!bad.ok && bad.message).toMatch(/^data must be JSON/);
});
