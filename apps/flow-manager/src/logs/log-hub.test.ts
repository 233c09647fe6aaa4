import type { ContainerLog, LogLine } from "@dockflow/protocol";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { FollowHandlers, LogSource, ReadLogsOptions } from "./docker-logs.ts";
import { LogHub, type LogSink } from "./log-hub.ts";
import { lineCost } from "./log-queue.ts";

const T0 = 1_800_000_000_000_000_000n;
/** A line stamped `ns` nanoseconds after T0. */
function line(text: string, ns: number, stream: LogLine["stream"] = "stdout"): LogLine {
  const total = T0 + BigInt(ns);
  const ms = Number(total / 1_000_000n);
  const iso = new Date(ms).toISOString().replace("Z", "");
  const sub = String(total % 1_000_000n).padStart(6, "0");
  return { stream, text, time: `${iso}${sub}Z` };
}

class FakeSource implements LogSource {
  follows: { id: string; sinceNs: bigint; handlers: FollowHandlers; closed: boolean }[] = [];
  history: LogLine[] = [];
  reads: ReadLogsOptions[] = [];
  gone = false;

  async read(_id: string, options: ReadLogsOptions): Promise<LogLine[]> {
    this.reads.push(options);
    return this.history.slice(-options.tail);
  }
  async follow(id: string, sinceNs: bigint, handlers: FollowHandlers) {
    const entry = { id, sinceNs, handlers, closed: false };
    this.follows.push(entry);
    return { close: () => (entry.closed = true) };
  }
  async exists(): Promise<boolean> {
    return !this.gone;
  }
  /** The open stream's handlers. */
  get live(): FollowHandlers {
    const open = this.follows.filter((f) => !f.closed);
    if (open.length !== 1) throw new Error(`${open.length} open streams`);
    return open[0]!.handlers;
  }
}

class FakeSink implements LogSink {
  pushes: { clientId: string; payload: ContainerLog }[] = [];
  writable = new Map<string, boolean>();
  emitTo(clientId: string, _event: "container_log", payload: ContainerLog): void {
    this.pushes.push({ clientId, payload });
  }
  isWritable(clientId: string): boolean {
    return this.writable.get(clientId) ?? true;
  }
  to(clientId: string): ContainerLog[] {
    return this.pushes.filter((p) => p.clientId === clientId).map((p) => p.payload);
  }
}

const ID = "c".repeat(64);
let source: FakeSource;
let sink: FakeSink;
let hub: LogHub;
let clock: bigint;

function makeHub(clientBufferBytes = 1024 * 1024): LogHub {
  return new LogHub({
    source,
    sink,
    clientBufferBytes,
    now: () => clock,
    log: pino({ level: "silent" }),
  });
}

async function follow(clientId: string, tail = 0): Promise<void> {
  const start = await hub.subscribe(clientId, ID, tail);
  start();
}

beforeEach(() => {
  vi.useFakeTimers();
  source = new FakeSource();
  sink = new FakeSink();
  clock = T0 + 1000n;
  hub = makeHub();
});
afterEach(() => {
  hub.close();
  vi.useRealTimers();
});

describe("LogHub", () => {
  it("opens one Docker stream per container for all its followers, and closes it after the last", async () => {
    await follow("a");
    await follow("b");
    expect(source.follows).toHaveLength(1);
    expect(source.follows[0]!.sinceNs).toBe(T0 + 1000n);
    source.live.onLines([line("hello", 2000)]);
    vi.advanceTimersByTime(100);
    expect(sink.to("a")).toEqual([{ container_id: ID, lines: [line("hello", 2000)] }]);
    expect(sink.to("b")).toEqual(sink.to("a"));
    hub.unsubscribe("a", ID);
    expect(source.follows[0]!.closed).toBe(false);
    hub.removeClient("b");
    expect(source.follows[0]!.closed).toBe(true);
    expect(source.follows.filter((f) => !f.closed)).toEqual([]);
  });

  it("sends nothing, and keeps no timer, for a client gone before its reply", async () => {
    const start = await hub.subscribe("a", ID, 0);
    source.live.onLines([line("one", 2000)]);
    hub.removeClient("a");
    start();
    vi.advanceTimersByTime(1000);
    expect(sink.pushes).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
    expect(source.follows[0]!.closed).toBe(true);
  });

  it("refuses a second subscription of the same client to the same container", async () => {
    await follow("a");
    await expect(hub.subscribe("a", ID, 0)).rejects.toMatchObject({
      errorType: "validation_error",
    });
  });

  it("sends nothing before the reply (start), then batches lines every 100 ms", async () => {
    const start = await hub.subscribe("a", ID, 0);
    source.live.onLines([line("one", 2000)]);
    vi.advanceTimersByTime(500);
    expect(sink.pushes).toEqual([]);
    start();
    source.live.onLines([line("two", 2001)]);
    vi.advanceTimersByTime(99);
    expect(sink.pushes).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(sink.to("a")).toEqual([
      { container_id: ID, lines: [line("one", 2000), line("two", 2001)] },
    ]);
  });

  it("pushes at once when 64 KiB are queued, without waiting for the timer", async () => {
    await follow("a");
    const big = Array.from({ length: 80 }, (_, i) => line("x".repeat(1000), 2000 + i));
    source.live.onLines(big);
    const first = sink.to("a");
    expect(first).toHaveLength(1);
    const sent = first[0]!.lines;
    expect(sent.reduce((n, l) => n + lineCost(l), 0)).toBeLessThanOrEqual(64 * 1024);
    expect(sent).toEqual(big.slice(0, sent.length));
    vi.advanceTimersByTime(100);
    expect(sink.to("a").flatMap((p) => p.lines)).toEqual(big);
  });

  it("sends the last `tail` lines from before the subscription first, then live lines", async () => {
    source.history = [line("old 1", 1), line("old 2", 2), line("old 3", 3), line("late", 5000)];
    const start = await hub.subscribe("a", ID, 3);
    // The history read came after the stream opened; "late" is the stream's, not history.
    expect(source.reads).toEqual([{ tail: 3, timestamps: true }]);
    source.live.onLines([line("late", 5000)]);
    start();
    vi.advanceTimersByTime(100);
    expect(sink.to("a").flatMap((p) => p.lines.map((l) => l.text))).toEqual([
      "old 2",
      "old 3",
      "late",
    ]);
  });

  it("gives a later follower only what was printed after it subscribed", async () => {
    await follow("a");
    source.live.onLines([line("before b", 2000)]);
    clock = T0 + 3000n;
    await follow("b");
    source.live.onLines([line("after b", 3000)]);
    vi.advanceTimersByTime(100);
    expect(sink.to("a").flatMap((p) => p.lines.map((l) => l.text))).toEqual([
      "before b",
      "after b",
    ]);
    expect(sink.to("b").flatMap((p) => p.lines.map((l) => l.text))).toEqual(["after b"]);
  });

  it("drops a slow client's oldest lines past its bound and says how many in the next push", async () => {
    const cost = lineCost(line("n-0000", 0));
    hub = makeHub(10 * cost);
    await follow("slow");
    await follow("fast");
    sink.writable.set("slow", false);
    const lines = Array.from({ length: 25 }, (_, i) =>
      line(`n-${String(i).padStart(4, "0")}`, 2000 + i),
    );
    for (const l of lines) {
      source.live.onLines([l]);
      vi.advanceTimersByTime(20);
    }
    vi.advanceTimersByTime(500);
    expect(sink.to("slow")).toEqual([]);
    expect(sink.to("fast").flatMap((p) => p.lines)).toEqual(lines);
    sink.writable.set("slow", true);
    vi.advanceTimersByTime(100);
    expect(sink.to("slow")).toEqual([{ container_id: ID, lines: lines.slice(15), dropped: 15 }]);
  });

  it("keeps following across a restart, from just after the last line", async () => {
    await follow("a");
    source.live.onLines([line("before", 2000)]);
    source.follows[0]!.closed = true;
    source.follows[0]!.handlers.onEnd();
    await vi.advanceTimersByTimeAsync(0);
    expect(source.follows).toHaveLength(1);
    hub.onContainerEvent(ID, "start");
    await vi.advanceTimersByTimeAsync(0);
    expect(source.follows).toHaveLength(2);
    expect(source.follows[1]!.sinceNs).toBe(T0 + 2001n);
    source.live.onLines([line("after", 9000)]);
    await vi.advanceTimersByTimeAsync(100);
    expect(sink.to("a").flatMap((p) => p.lines.map((l) => l.text))).toEqual(["before", "after"]);
  });

  it("reopens when a restart's start event comes before the old stream ended", async () => {
    await follow("a");
    hub.onContainerEvent(ID, "start");
    source.follows[0]!.closed = true;
    source.follows[0]!.handlers.onEnd();
    await vi.advanceTimersByTimeAsync(0);
    expect(source.follows).toHaveLength(2);
    expect(source.live).toBe(source.follows[1]!.handlers);
  });

  it("ends every subscription when the container is removed, with what was queued", async () => {
    await follow("a");
    sink.writable.set("a", false);
    source.live.onLines([line("last words", 2000)]);
    hub.onContainerEvent(ID, "destroy");
    expect(sink.to("a")).toEqual([
      { container_id: ID, lines: [line("last words", 2000)], ended: true },
    ]);
    expect(source.follows[0]!.closed).toBe(true);
    vi.advanceTimersByTime(1000);
    expect(sink.pushes).toHaveLength(1);
  });

  it("ends when the stream ends and the container is gone (its destroy event missed)", async () => {
    await follow("a");
    source.gone = true;
    source.follows[0]!.handlers.onEnd();
    await vi.advanceTimersByTimeAsync(0);
    expect(sink.to("a")).toEqual([{ container_id: ID, lines: [], ended: true }]);
  });
});
