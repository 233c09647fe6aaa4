import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Deadlines } from "./deadlines.ts";

describe("Deadlines", () => {
  let expired: string[];
  let deadlines: Deadlines<string>;

  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
    expired = [];
    deadlines = new Deadlines<string>({
      onExpired: (key) => expired.push(key),
      now: () => Date.now(),
    });
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it("expires a key when its timeout has passed, not before", () => {
    deadlines.add("a", 100);
    vi.advanceTimersByTime(99);
    expect(expired).toEqual([]);
    expect(deadlines.size).toBe(1);
    vi.advanceTimersByTime(1);
    expect(expired).toEqual(["a"]);
    expect(deadlines.size).toBe(0);
  });

  it("never expires a deleted key, and leaves no timer once nothing is pending", () => {
    deadlines.add("a", 100);
    expect(deadlines.delete("a")).toBe(true);
    expect(deadlines.delete("a")).toBe(false);
    vi.advanceTimersByTime(1000);
    expect(expired).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("sets one timer for many requests with the same timeout", () => {
    const setTimeoutSpy = vi.spyOn(globalThis, "setTimeout");
    for (let i = 0; i < 50; i++) {
      deadlines.add(`k${i}`, 1000);
      vi.advanceTimersByTime(1);
      if (i % 2 === 0) deadlines.delete(`k${i}`);
    }
    expect(setTimeoutSpy).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1000);
    expect(expired).toEqual(Array.from({ length: 25 }, (_, i) => `k${2 * i + 1}`));
  });

  it("re-arms for an earlier deadline and expires keys in deadline order", () => {
    deadlines.add("late", 1000);
    deadlines.add("early", 10);
    vi.advanceTimersByTime(10);
    expect(expired).toEqual(["early"]);
    vi.advanceTimersByTime(989);
    expect(expired).toEqual(["early"]);
    vi.advanceTimersByTime(1);
    expect(expired).toEqual(["early", "late"]);
  });

  it("after firing, waits for the earliest deadline still pending", () => {
    deadlines.add("a", 100);
    vi.advanceTimersByTime(50);
    deadlines.add("b", 100);
    vi.advanceTimersByTime(50);
    expect(expired).toEqual(["a"]);
    vi.advanceTimersByTime(49);
    expect(expired).toEqual(["a"]);
    vi.advanceTimersByTime(1);
    expect(expired).toEqual(["a", "b"]);
  });

  it("expires every key due at the same moment, and a key added by a callback later", () => {
    deadlines = new Deadlines<string>({
      onExpired: (key) => {
        expired.push(key);
        if (key === "a") deadlines.add("again", 20);
      },
      now: () => Date.now(),
    });
    deadlines.add("a", 100);
    deadlines.add("b", 100);
    vi.advanceTimersByTime(100);
    expect(expired).toEqual(["a", "b"]);
    vi.advanceTimersByTime(20);
    expect(expired).toEqual(["a", "b", "again"]);
  });

  it("clear forgets every key and stops the timer", () => {
    deadlines.add("a", 100);
    deadlines.add("b", 200);
    deadlines.clear();
    expect(deadlines.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(1000);
    expect(expired).toEqual([]);
  });
});
