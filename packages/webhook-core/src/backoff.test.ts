import { describe, expect, it } from "vitest";
import { nextAttempt, type RetryPolicy, retryDelay } from "./backoff.ts";

const policy: RetryPolicy = { baseDelayMs: 1000, maxDelayMs: 60_000, windowMs: 3600_000 };
const created = new Date("2024-01-01T00:00:00.000Z");

describe("retryDelay", () => {
  it("doubles from the base after each failed attempt", () => {
    expect([1, 2, 3, 4, 5].map((n) => retryDelay(policy, n))).toEqual([
      1000, 2000, 4000, 8000, 16_000,
    ]);
  });

  it("is capped at the longest delay, however many attempts", () => {
    expect(retryDelay(policy, 7)).toBe(60_000);
    expect(retryDelay(policy, 10_000)).toBe(60_000);
  });

  it("treats attempt 0 like the first", () => {
    expect(retryDelay(policy, 0)).toBe(1000);
  });
});

describe("nextAttempt", () => {
  it("schedules the next attempt a delay after the failure", () => {
    const failedAt = new Date(created.getTime() + 5000);
    expect(nextAttempt(policy, created, 3, failedAt)?.toISOString()).toBe(
      "2024-01-01T00:00:09.000Z",
    );
  });

  it("still retries when the next attempt falls exactly at the end of the window", () => {
    const failedAt = new Date(created.getTime() + policy.windowMs - 60_000);
    expect(nextAttempt(policy, created, 20, failedAt)?.getTime()).toBe(
      created.getTime() + policy.windowMs,
    );
  });

  it("gives up when the next attempt would fall after the window", () => {
    const failedAt = new Date(created.getTime() + policy.windowMs - 59_999);
    expect(nextAttempt(policy, created, 20, failedAt)).toBeUndefined();
  });
});
