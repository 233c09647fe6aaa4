import type { Readable } from "node:stream";
import { LineReader } from "@dockflow/flow-runtime";
import type { Logger } from "pino";
import type { DockerAdapter } from "./docker.ts";

/** One Docker container event, as the engine sends it. */
export interface DockerEvent {
  Type?: string;
  Action: string;
  id?: string;
  Actor: { ID: string; Attributes?: Record<string, string> };
  time: number;
  timeNano: number;
}

export interface EventWatcherOptions {
  docker: DockerAdapter;
  log: Logger;
  onEvent(event: DockerEvent): void;
  /** Called after every (re)connection: re-list to catch up on what the stream cannot tell. */
  onResync(): Promise<void>;
}

const RETRY_MIN_MS = 200;
const RETRY_MAX_MS = 10_000;

/**
 * Follows Docker's event stream for this manager's containers. When the stream ends (engine
 * restart), it reconnects with backoff, passing `since` = the last event's time so nothing in
 * between is missed (events at that exact instant are de-duplicated), then resyncs.
 */
export class EventWatcher {
  private stream: Readable | null = null;
  private stopped = false;
  private lastNano = 0;
  private seenAtLast = new Set<string>();
  private retryDelay = RETRY_MIN_MS;
  private timer: NodeJS.Timeout | null = null;
  /** Resolves once the first stream is open (events after this point are not missed). */
  readonly ready: Promise<void>;
  private markReady!: () => void;

  constructor(private readonly options: EventWatcherOptions) {
    this.ready = new Promise((resolve) => {
      this.markReady = resolve;
    });
  }

  start(): void {
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.stream?.destroy();
    this.stream = null;
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const since =
      this.lastNano > 0
        ? `${Math.floor(this.lastNano / 1e9)}.${String(this.lastNano % 1e9).padStart(9, "0")}`
        : undefined;
    let stream: Readable;
    try {
      stream = await this.options.docker.events(since);
    } catch (error) {
      this.options.log.warn({ err: String(error) }, "Docker event stream unavailable; retrying");
      this.retry();
      return;
    }
    if (this.stopped) {
      stream.destroy();
      return;
    }
    this.stream = stream;
    this.retryDelay = RETRY_MIN_MS;
    const reader = new LineReader();
    stream.on("data", (chunk: Buffer) => {
      for (const event of reader.push(chunk)) {
        if (event.type === "message") this.onEventValue(event.value);
      }
    });
    let ended = false;
    const onEnd = () => {
      if (ended) return;
      ended = true;
      if (this.stream === stream) this.stream = null;
      if (!this.stopped) {
        this.options.log.warn("Docker event stream ended; reconnecting");
        this.retry();
      }
    };
    stream.on("end", onEnd);
    stream.on("close", onEnd);
    stream.on("error", onEnd);
    try {
      await this.options.onResync();
    } catch (error) {
      this.options.log.warn({ err: String(error) }, "resync failed");
    }
    this.markReady();
  }

  private retry(): void {
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.connect();
    }, this.retryDelay);
    this.retryDelay = Math.min(this.retryDelay * 2, RETRY_MAX_MS);
  }

  private onEventValue(value: unknown): void {
    const event = value as DockerEvent;
    if (!event?.Actor?.ID || typeof event.Action !== "string") return;
    const key = `${event.timeNano}:${event.Actor.ID}:${event.Action}`;
    if (event.timeNano < this.lastNano) return;
    if (event.timeNano === this.lastNano) {
      if (this.seenAtLast.has(key)) return;
    } else {
      this.lastNano = event.timeNano;
      this.seenAtLast = new Set();
    }
    this.seenAtLast.add(key);
    try {
      this.options.onEvent(event);
    } catch (error) {
      this.options.log.error({ err: String(error) }, "event handler failed");
    }
  }
}
