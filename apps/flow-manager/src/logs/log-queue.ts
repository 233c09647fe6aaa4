import type { LogLine } from "@dockflow/protocol";

/** Roughly what a line costs besides its text, in memory and as JSON on the wire. */
const LINE_OVERHEAD_BYTES = 64;

export function lineCost(line: LogLine): number {
  return Buffer.byteLength(line.text, "utf8") + LINE_OVERHEAD_BYTES;
}

export interface LogBatch {
  lines: LogLine[];
  /** Lines dropped, for lack of room, just before the first of these. */
  dropped: number;
}

/**
 * A client's lines waiting to be sent, bounded by their cost in bytes: past the bound the oldest
 * are dropped and counted, and the next batch taken reports how many.
 */
export class LogQueue {
  private lines: LogLine[] = [];
  private costs: number[] = [];
  private head = 0;
  private total = 0;
  private droppedSinceTake = 0;

  constructor(private readonly maxBytes: number) {}

  get bytes(): number {
    return this.total;
  }

  get length(): number {
    return this.lines.length - this.head;
  }

  /** Adds newer lines at the end, then keeps to the bound. */
  push(lines: readonly LogLine[]): void {
    this.append(lines);
    this.trim();
  }

  /** Adds newer lines at the end, over the bound until `trim()` (to send first what can go). */
  append(lines: readonly LogLine[]): void {
    for (const line of lines) {
      const cost = lineCost(line);
      this.lines.push(line);
      this.costs.push(cost);
      this.total += cost;
    }
  }

  /** Adds older lines at the front (history that precedes what is queued). */
  unshift(lines: readonly LogLine[]): void {
    if (lines.length === 0) return;
    const costs = lines.map(lineCost);
    this.lines = [...lines, ...this.lines.slice(this.head)];
    this.costs = [...costs, ...this.costs.slice(this.head)];
    this.head = 0;
    for (const cost of costs) this.total += cost;
    this.trim();
  }

  /** The oldest lines, up to `maxBytes` (at least one line when any is queued). */
  take(maxBytes: number): LogBatch {
    let end = this.head;
    let bytes = 0;
    while (end < this.lines.length && (end === this.head || bytes + this.costs[end]! <= maxBytes)) {
      bytes += this.costs[end]!;
      end++;
    }
    const batch = { lines: this.lines.slice(this.head, end), dropped: this.droppedSinceTake };
    this.head = end;
    this.total -= bytes;
    this.droppedSinceTake = 0;
    this.compact();
    return batch;
  }

  /** Drops the oldest lines while over the bound. */
  trim(): void {
    while (this.total > this.maxBytes && this.head < this.lines.length) {
      this.total -= this.costs[this.head]!;
      this.head++;
      this.droppedSinceTake++;
    }
    this.compact();
  }

  private compact(): void {
    if (this.head === this.lines.length) {
      this.lines = [];
      this.costs = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.lines.length) {
      this.lines = this.lines.slice(this.head);
      this.costs = this.costs.slice(this.head);
      this.head = 0;
    }
  }
}
