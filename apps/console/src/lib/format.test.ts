import { describe, expect, it } from "vitest";
import {
  formatBytes,
  formatCountdown,
  formatDuration,
  formatPercent,
  formatRelative,
  shortId,
} from "./format.ts";

describe("formatBytes", () => {
  it.each([
    [0, "0 B"],
    [1023, "1023 B"],
    [1536, "1.5 KiB"],
    [10 * 1024, "10 KiB"],
    [256 * 1024 ** 2, "256 MiB"],
    [1.25 * 1024 ** 3, "1.3 GiB"],
    [-1, "–"],
    [Number.NaN, "–"],
  ])("%s bytes is %s", (bytes, text) => expect(formatBytes(bytes)).toBe(text));
});

describe("formatPercent", () => {
  it("keeps one decimal", () => {
    expect(formatPercent(12.345)).toBe("12.3%");
    expect(formatPercent(0)).toBe("0.0%");
    expect(formatPercent(Number.POSITIVE_INFINITY)).toBe("–");
  });
});

describe("formatDuration", () => {
  it.each([
    [0, "0s"],
    [59, "59s"],
    [60, "1m"],
    [3725, "1h 2m"],
    [90_061, "1d 1h"],
    [3600, "1h"],
    [-5, "–"],
  ])("%s seconds is %s", (seconds, text) => expect(formatDuration(seconds)).toBe(text));
});

describe("formatRelative", () => {
  const now = Date.parse("2026-01-01T12:00:00Z");
  it("says how long ago, or how far ahead", () => {
    expect(formatRelative("2026-01-01T12:00:00Z", now)).toBe("just now");
    expect(formatRelative("2026-01-01T11:59:18Z", now)).toBe("42s ago");
    expect(formatRelative("2026-01-01T11:57:00Z", now)).toBe("3m ago");
    expect(formatRelative("2026-01-01T12:05:00Z", now)).toBe("in 5m");
    expect(formatRelative("not a date", now)).toBe("–");
  });
});

describe("formatCountdown", () => {
  const now = Date.parse("2026-01-01T12:00:00Z");
  it("counts down to the end of a grace period", () => {
    expect(formatCountdown("2026-01-01T12:10:30Z", now)).toBe("10m 30s left");
    expect(formatCountdown("2026-01-01T12:00:00.5Z", now)).toBe("1s left");
    expect(formatCountdown("2026-01-01T12:00:00Z", now)).toBe("expired");
    expect(formatCountdown("2026-01-01T11:00:00Z", now)).toBe("expired");
  });
});

it("shortId keeps Docker's 12 characters", () => {
  expect(shortId("0123456789abcdef0123")).toBe("0123456789ab");
});
