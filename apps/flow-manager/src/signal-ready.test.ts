import { describe, expect, it } from "vitest";
import { initHasTakenOver, initMayBeStarting, START_UP_MS } from "./signal-ready.ts";

const startedAt = "2026-11-30T02:00:00.000000000Z";
const t0 = Date.parse(startedAt);

describe("initMayBeStarting", () => {
  it("is true for a running container under Docker's init that started moments ago", () => {
    expect(initMayBeStarting({ init: true, running: true, startedAt }, t0)).toBe(true);
    expect(initMayBeStarting({ init: true, running: true, startedAt }, t0 + 150)).toBe(true);
    expect(initMayBeStarting({ init: true, running: true, startedAt }, t0 + START_UP_MS - 1)).toBe(
      true,
    );
  });

  it("is false past the start-up, without init, when not running, or without a start time", () => {
    expect(initMayBeStarting({ init: true, running: true, startedAt }, t0 + START_UP_MS)).toBe(
      false,
    );
    expect(initMayBeStarting({ init: false, running: true, startedAt }, t0)).toBe(false);
    expect(initMayBeStarting({ init: true, running: false, startedAt }, t0)).toBe(false);
    expect(initMayBeStarting({ init: true, running: true, startedAt: "" }, t0)).toBe(false);
  });
});

describe("initHasTakenOver", () => {
  it("needs the init and the command it started", () => {
    expect(initHasTakenOver(0)).toBe(false);
    expect(initHasTakenOver(1)).toBe(false);
    expect(initHasTakenOver(2)).toBe(true);
    expect(initHasTakenOver(5)).toBe(true);
  });
});
