import { describe, expect, it } from "vitest";
import { Batcher } from "./batcher.ts";

/** A run that is held open until released, recording each batch it was given. */
function gatedRun() {
  const batches: number[][] = [];
  const gates: (() => void)[] = [];
  const run = (items: number[]) => {
    batches.push(items);
    return new Promise<number[]>((resolve) => {
      gates.push(() => resolve(items.map((n) => n * 10)));
    });
  };
  const releaseNext = async () => {
    gates.shift()?.();
    await new Promise((r) => setImmediate(r));
  };
  return { run, batches, releaseNext };
}

describe("Batcher", () => {
  it("sends an item at once while a slot is free and groups those that arrive meanwhile", async () => {
    const { run, batches, releaseNext } = gatedRun();
    const batcher = new Batcher(run, { maxBatch: 3, maxInFlight: 1 });
    const answers = [1, 2, 3, 4, 5, 6].map((n) => batcher.submit(n));
    expect(batches).toEqual([[1]]);
    await releaseNext();
    expect(batches).toEqual([[1], [2, 3, 4]]);
    await releaseNext();
    await releaseNext();
    expect(batches).toEqual([[1], [2, 3, 4], [5, 6]]);
    expect(await Promise.all(answers)).toEqual([10, 20, 30, 40, 50, 60]);
  });

  it("keeps up to maxInFlight runs going", async () => {
    const { run, batches, releaseNext } = gatedRun();
    const batcher = new Batcher(run, { maxBatch: 10, maxInFlight: 2 });
    const answers = [1, 2, 3, 4].map((n) => batcher.submit(n));
    expect(batches).toEqual([[1], [2]]);
    await releaseNext();
    expect(batches).toEqual([[1], [2], [3, 4]]);
    await releaseNext();
    await releaseNext();
    expect(await Promise.all(answers)).toEqual([10, 20, 30, 40]);
  });

  it("fails every item of a failed batch, and goes on with the next", async () => {
    let calls = 0;
    const batcher = new Batcher<number, number>(
      async (items) => {
        calls++;
        if (items.includes(2)) throw new Error("database down");
        return items;
      },
      { maxBatch: 10, maxInFlight: 1 },
    );
    const first = batcher.submit(1);
    const failing = [batcher.submit(2), batcher.submit(3)];
    expect(await first).toBe(1);
    for (const answer of failing) await expect(answer).rejects.toThrow("database down");
    expect(await batcher.submit(4)).toBe(4);
    expect(calls).toBe(3);
  });

  it("refuses a run that answers the wrong number of results", async () => {
    const batcher = new Batcher<number, number>(async () => [], { maxBatch: 10, maxInFlight: 1 });
    await expect(batcher.submit(1)).rejects.toThrow("batch of 1 answered 0 results");
  });
});
