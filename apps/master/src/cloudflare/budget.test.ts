import { describe, expect, it } from "vitest";
import { RequestBudget } from "./budget.ts";
import { CloudflareError } from "./errors.ts";
import { TestClock } from "./test-harness.ts";

function budget(clock: TestClock, limit: number, windowMs: number) {
  return new RequestBudget({
    limit,
    windowMs,
    now: clock.now,
    sleep: clock.sleep,
    maxPauseWaitMs: 60_000,
  });
}

describe("RequestBudget", () => {
  it("is a sliding window: a slot frees exactly windowMs after it was used", async () => {
    const clock = new TestClock();
    const start = clock.now();
    const b = budget(clock, 2, 1_000);
    const sentAt: number[] = [];
    const take = async () => {
      await b.acquire();
      sentAt.push(clock.now() - start);
    };

    await take();
    clock.advance(500);
    await take();
    clock.advance(100);
    await take(); // third within the window of the first: waits until 1000
    await take(); // waits until the second's slot frees at 1500

    expect(sentAt).toEqual([0, 500, 1_000, 1_500]);
    expect(clock.sleeps).toEqual([400, 500]);
  });

  it("serves waiting callers first come, first served", async () => {
    const clock = new TestClock();
    clock.mode = "manual";
    const b = budget(clock, 1, 1_000);
    const order: string[] = [];
    await b.acquire();
    const a = b.acquire().then(() => order.push("a"));
    const c = b.acquire().then(() => order.push("c"));

    const first = await clock.nextSleep();
    clock.advance(first.ms);
    first.wake();
    const second = await clock.nextSleep();
    expect(order).toEqual(["a"]);
    clock.advance(second.ms);
    second.wake();
    await Promise.all([a, c]);
    expect(order).toEqual(["a", "c"]);
  });

  it("pauses everyone for a short Retry-After and fails fast for a long one", async () => {
    const clock = new TestClock();
    const b = budget(clock, 100, 1_000);
    b.pause(2_000);
    await b.acquire();
    expect(clock.sleeps).toEqual([2_000]);

    b.pause(120_000);
    const error = await b.acquire().then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(CloudflareError);
    expect(error).toMatchObject({ kind: "rate_limited", retryable: true, retryAfterMs: 120_000 });
    expect((error as Error).message).not.toMatch(/timed? ?out/i);
  });

  it("rejects a nonsensical limit", () => {
    const clock = new TestClock();
    expect(() => budget(clock, 0, 1_000)).toThrow(RangeError);
    expect(() => budget(clock, 1, 0)).toThrow(RangeError);
  });
});
