import type { ContainerLog, LogLine } from "@dockflow/protocol";
import type { Logger } from "pino";
import { FlowError } from "../errors.ts";
import type { LogFollow, LogSource } from "./docker-logs.ts";
import { nowNs, parseTimeNs } from "./docker-time.ts";
import { LogQueue } from "./log-queue.ts";

/** Where pushes go: the connected clients. */
export interface LogSink {
  emitTo(clientId: string, event: "container_log", payload: ContainerLog): void;
  /** Whether what was sent to the client before has left the process (see the Logs docs). */
  isWritable(clientId: string): boolean;
}

export interface LogHubOptions {
  source: LogSource;
  sink: LogSink;
  /** Per client and container: queued lines past this cost are dropped, oldest first. */
  clientBufferBytes: number;
  /** A push is sent once this much is queued ... */
  batchBytes?: number;
  /** ... or this long after the first line queued, whichever comes first. */
  batchIntervalMs?: number;
  /** The clock subscriptions start at (nanoseconds); the host's by default. */
  now?: () => bigint;
  log: Logger;
}

interface Follower {
  clientId: string;
  queue: LogQueue;
  /** Lines stamped before this are the subscription's history (its `tail`), not live lines. */
  fromNs: bigint;
  /** Not sending yet: the reply to subscribe_logs has not gone out. */
  held: boolean;
  ended: boolean;
  /** Unsubscribed (or disconnected): nothing more for it, even if it was still held. */
  gone: boolean;
  timer: NodeJS.Timeout | null;
}

interface Feed {
  id: string;
  followers: Map<string, Follower>;
  opened: Promise<void>;
  follow: LogFollow | null;
  opening: boolean;
  /** The stream follows from here: the first subscription's start, then past the last line. */
  sinceNs: bigint;
  /** A `start` event came while the stream was still open (a restart): reopen when it ends. */
  restarted: boolean;
}

const DEFAULT_BATCH_BYTES = 64 * 1024;
const DEFAULT_BATCH_INTERVAL_MS = 100;

/**
 * Live logs: one Docker log stream per followed container, however many clients follow it, fanned
 * out to a bounded queue per client and sent in batches. A client whose connection has not taken
 * the previous push yet gets nothing more until it has; meanwhile its queue drops its oldest lines
 * past `clientBufferBytes`, and the next push says how many (`dropped`).
 */
export class LogHub {
  private readonly feeds = new Map<string, Feed>();
  private readonly batchBytes: number;
  private readonly batchIntervalMs: number;
  private readonly now: () => bigint;

  constructor(private readonly options: LogHubOptions) {
    this.batchBytes = options.batchBytes ?? DEFAULT_BATCH_BYTES;
    this.batchIntervalMs = options.batchIntervalMs ?? DEFAULT_BATCH_INTERVAL_MS;
    this.now = options.now ?? nowNs;
  }

  /** Live subscriptions now: one per client and container it follows. */
  get subscriptions(): number {
    let count = 0;
    for (const feed of this.feeds.values()) count += feed.followers.size;
    return count;
  }

  /**
   * Starts following container `id` for a client, with the last `tail` lines first. Resolves once
   * the stream is open and the history read, with the function that starts the pushes (call it
   * once the reply is sent, so the reply comes first).
   */
  async subscribe(clientId: string, id: string, tail: number): Promise<() => void> {
    let feed = this.feeds.get(id);
    if (feed?.followers.has(clientId)) {
      throw new FlowError(
        "validation_error",
        `already following the logs of ${id.slice(0, 12)}: unsubscribe_logs first`,
        { container_id: id },
      );
    }
    const fromNs = this.now();
    const follower: Follower = {
      clientId,
      queue: new LogQueue(this.options.clientBufferBytes),
      fromNs,
      held: true,
      ended: false,
      gone: false,
      timer: null,
    };
    if (!feed) {
      feed = {
        id,
        followers: new Map(),
        opened: Promise.resolve(),
        follow: null,
        opening: false,
        sinceNs: fromNs,
        restarted: false,
      };
      this.feeds.set(id, feed);
      feed.opened = this.open(feed);
    } else if (!feed.follow && !feed.opening) {
      // Lost earlier (engine trouble): try again, the container may well be running.
      this.reopen(feed);
    }
    feed.followers.set(clientId, follower);
    try {
      await feed.opened;
      if (tail > 0) {
        const history = await this.options.source.read(id, { tail, timestamps: true });
        follower.queue.unshift(history.filter((line) => (timeOf(line) ?? 0n) < fromNs));
      }
    } catch (error) {
      this.unsubscribe(clientId, id);
      throw error;
    }
    return () => {
      follower.held = false;
      if (follower.gone) return;
      if (follower.ended) this.sendRest(id, follower);
      else this.schedule(id, follower);
    };
  }

  /** Stops a client following a container (nothing happens if it was not). */
  unsubscribe(clientId: string, id: string): void {
    const feed = this.feeds.get(id);
    const follower = feed?.followers.get(clientId);
    if (!feed || !follower) return;
    follower.gone = true;
    clearTimer(follower);
    feed.followers.delete(clientId);
    if (feed.followers.size === 0) {
      this.feeds.delete(id);
      this.closeStream(feed);
    }
  }

  /** A client disconnected. */
  removeClient(clientId: string): void {
    for (const id of [...this.feeds.keys()]) this.unsubscribe(clientId, id);
  }

  /** Docker's `start` reopens a followed container's stream; `destroy` ends its subscriptions. */
  onContainerEvent(id: string, action: string): void {
    const feed = this.feeds.get(id);
    if (!feed) return;
    if (action === "destroy") this.end(feed);
    else if (action === "start") {
      if (feed.follow || feed.opening) feed.restarted = true;
      else this.reopen(feed);
    }
  }

  close(): void {
    for (const feed of this.feeds.values()) {
      feed.follow?.close();
      for (const follower of feed.followers.values()) clearTimer(follower);
    }
    this.feeds.clear();
  }

  private async open(feed: Feed): Promise<void> {
    feed.restarted = false;
    feed.opening = true;
    let follow: LogFollow | null = null;
    let endedEarly = false;
    const onEnd = () => {
      if (follow === null) endedEarly = true;
      else if (feed.follow === follow) feed.follow = null;
      void this.onStreamEnd(feed);
    };
    try {
      follow = await this.options.source.follow(feed.id, feed.sinceNs, {
        onLines: (lines) => this.dispatch(feed, lines),
        onEnd,
      });
    } finally {
      feed.opening = false;
    }
    if (this.feeds.get(feed.id) !== feed) {
      follow.close();
      return;
    }
    this.options.log.debug({ container_id: feed.id }, "log stream opened");
    if (!endedEarly) feed.follow = follow;
  }

  private closeStream(feed: Feed): void {
    if (!feed.follow) return;
    feed.follow.close();
    feed.follow = null;
    this.options.log.debug({ container_id: feed.id }, "log stream closed");
  }

  private reopen(feed: Feed): void {
    feed.opened = this.open(feed).catch((error) => this.lost(feed, error));
  }

  private dispatch(feed: Feed, lines: LogLine[]): void {
    const times = lines.map(timeOf);
    for (const ns of times) if (ns !== undefined && ns >= feed.sinceNs) feed.sinceNs = ns + 1n;
    for (const follower of feed.followers.values()) {
      const live = lines.filter((_, i) => (times[i] ?? follower.fromNs) >= follower.fromNs);
      if (live.length === 0) continue;
      // What the client can take now goes first; only the rest counts against its bound.
      follower.queue.append(live);
      this.schedule(feed.id, follower);
      follower.queue.trim();
    }
  }

  /** The stream ended: the container stopped (wait for its next start) or is gone (end). */
  private async onStreamEnd(feed: Feed): Promise<void> {
    if (this.feeds.get(feed.id) !== feed) return;
    if (feed.restarted) {
      this.reopen(feed);
      return;
    }
    try {
      if (!(await this.options.source.exists(feed.id))) this.end(feed);
    } catch (error) {
      this.lost(feed, error);
    }
  }

  private lost(feed: Feed, error: unknown): void {
    this.options.log.warn(
      { container_id: feed.id, err: String(error) },
      "log stream lost; following again at the container's next start",
    );
  }

  /** The container is gone: each follower gets what is queued, the last push with `ended`. */
  private end(feed: Feed): void {
    if (this.feeds.get(feed.id) !== feed) return;
    this.feeds.delete(feed.id);
    this.closeStream(feed);
    for (const follower of feed.followers.values()) {
      clearTimer(follower);
      follower.ended = true;
      if (!follower.held) this.sendRest(feed.id, follower);
    }
  }

  private sendRest(id: string, follower: Follower): void {
    do this.send(id, follower, true);
    while (follower.queue.length > 0);
  }

  private schedule(id: string, follower: Follower): void {
    if (follower.held || follower.ended || follower.gone || follower.queue.length === 0) return;
    const { sink } = this.options;
    while (follower.queue.bytes >= this.batchBytes && sink.isWritable(follower.clientId)) {
      this.send(id, follower, false);
    }
    if (follower.queue.length > 0 && !follower.timer) {
      follower.timer = setTimeout(() => {
        follower.timer = null;
        if (sink.isWritable(follower.clientId)) this.send(id, follower, false);
        this.schedule(id, follower);
      }, this.batchIntervalMs);
    }
  }

  /** Sends the oldest queued lines; when `ending`, the push that empties the queue says `ended`. */
  private send(id: string, follower: Follower, ending: boolean): void {
    const batch = follower.queue.take(this.batchBytes);
    if (batch.dropped > 0) {
      this.options.log.debug(
        { container_id: id, client_id: follower.clientId, dropped: batch.dropped },
        "log lines dropped for a slow client",
      );
    }
    this.options.sink.emitTo(follower.clientId, "container_log", {
      container_id: id,
      lines: batch.lines,
      ...(batch.dropped > 0 && { dropped: batch.dropped }),
      ...(ending && follower.queue.length === 0 && { ended: true as const }),
    });
  }
}

function timeOf(line: LogLine): bigint | undefined {
  return line.time === undefined ? undefined : parseTimeNs(line.time);
}

function clearTimer(follower: Follower): void {
  if (follower.timer) clearTimeout(follower.timer);
  follower.timer = null;
}
