import type { LogLine } from "@dockflow/protocol";
import { describe, expect, it } from "vitest";
import { LogQueue, lineCost } from "./log-queue.ts";

const line = (n: number): LogLine => ({
  stream: "stdout",
  text: `line-${String(n).padStart(4, "0")}`,
});
const COST = lineCost(line(0));

describe("LogQueue", () => {
  it("takes lines in order, up to a byte budget, at least one", () => {
    const q = new LogQueue(1000 * COST);
    q.push([1, 2, 3, 4, 5].map(line));
    expect(q.take(2 * COST)).toEqual({ lines: [line(1), line(2)], dropped: 0 });
    expect(q.take(1)).toEqual({ lines: [line(3)], dropped: 0 });
    expect(q.take(100 * COST)).toEqual({ lines: [line(4), line(5)], dropped: 0 });
    expect(q.length).toBe(0);
    expect(q.bytes).toBe(0);
  });

  it("drops the oldest lines past its bound and reports them once, with the next batch", () => {
    const q = new LogQueue(3 * COST);
    q.push([1, 2].map(line));
    q.push([3, 4, 5].map(line));
    expect(q.length).toBe(3);
    expect(q.take(COST)).toEqual({ lines: [line(3)], dropped: 2 });
    expect(q.take(COST)).toEqual({ lines: [line(4)], dropped: 0 });
    q.push([6, 7, 8, 9].map(line));
    // 5, 6 dropped: the batch starts right after them.
    expect(q.take(10 * COST)).toEqual({ lines: [line(7), line(8), line(9)], dropped: 2 });
  });

  it("puts history in front of queued lines, and trims the oldest of it first", () => {
    const q = new LogQueue(3 * COST);
    q.push([10, 11].map(line));
    q.unshift([7, 8, 9].map(line));
    expect(q.take(10 * COST)).toEqual({ lines: [line(9), line(10), line(11)], dropped: 2 });
  });

  it("stays bounded over many lines", () => {
    const q = new LogQueue(50 * COST);
    for (let i = 0; i < 10_000; i++) q.push([line(i)]);
    expect(q.length).toBe(50);
    expect(q.bytes).toBe(50 * COST);
    const batch = q.take(1000 * COST);
    expect(batch.dropped).toBe(9950);
    expect(batch.lines[0]).toEqual(line(9950));
  });
});
