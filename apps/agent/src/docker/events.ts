import type Docker from "dockerode";
import type pino from "pino";
import { Backoff } from "../backoff.ts";

/** One line of the engine's event stream. */
export interface DockerEvent {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes?: Record<string, string> };
  time?: number;
  timeNano?: number;
}

export interface EngineEventsListener {
  event(event: DockerEvent): void;
  /** The stream (re)connected: whatever happened while it was down must be re-listed. */
  connected(): void;
  disconnected(error?: Error): void;
}

/**
 * Follows the engine's event stream and reconnects when it ends (engine restart), passing
 * `since` = the last event's time so events in between are replayed; listeners also resync.
 */
export class EngineEvents {
  private stream: NodeJS.ReadableStream | undefined;
  private since: string | undefined;
  private closed = false;
  private running: Promise<void> | undefined;
  private readonly abort = new AbortController();
  connected = false;

  constructor(
    private readonly docker: Docker,
    private readonly filters: Record<string, string[]>,
    private readonly listener: EngineEventsListener,
    private readonly log: pino.Logger,
  ) {}

  start(): void {
    this.running ??= this.loop();
  }

  private async loop(): Promise<void> {
    const backoff = new Backoff(200, 10_000);
    while (!this.closed) {
      try {
        // Anchor `since` at connection time the first time, so the very first gap is covered too.
        const since = this.since ?? String(Math.floor(Date.now() / 1000));
        // `since` accepts "seconds.nanoseconds"; the typings only allow a number.
        const stream = (await this.docker.getEvents({
          since: since as unknown as number,
          filters: this.filters,
        })) as NodeJS.ReadableStream;
        if (this.closed) {
          (stream as unknown as { destroy(): void }).destroy();
          break;
        }
        this.stream = stream;
        this.since = since;
        this.connected = true;
        backoff.reset();
        this.log.info({ since }, "engine event stream connected");
        this.listener.connected();
        await this.consume(stream);
        if (!this.closed) this.log.warn("engine event stream ended");
      } catch (error) {
        if (!this.closed) {
          this.log.warn({ err: (error as Error).message }, "engine event stream failed");
        }
      }
      this.stream = undefined;
      if (this.connected) {
        this.connected = false;
        if (!this.closed) this.listener.disconnected();
      }
      if (!this.closed) await backoff.wait(this.abort.signal);
    }
  }

  private consume(stream: NodeJS.ReadableStream): Promise<void> {
    return new Promise((resolve) => {
      let buffer = "";
      stream.on("data", (chunk: Buffer | string) => {
        buffer += chunk.toString();
        let newline = buffer.indexOf("\n");
        while (newline >= 0) {
          const line = buffer.slice(0, newline).trim();
          buffer = buffer.slice(newline + 1);
          newline = buffer.indexOf("\n");
          if (!line) continue;
          let event: DockerEvent;
          try {
            event = JSON.parse(line) as DockerEvent;
          } catch {
            this.log.warn("unparseable engine event line");
            continue;
          }
          if (event.timeNano) {
            const ns = BigInt(event.timeNano);
            const secs = ns / 1_000_000_000n;
            this.since = `${secs}.${String(ns % 1_000_000_000n).padStart(9, "0")}`;
          } else if (event.time) {
            this.since = String(event.time);
          }
          this.listener.event(event);
        }
      });
      stream.on("end", () => resolve());
      stream.on("close", () => resolve());
      stream.on("error", () => resolve());
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.abort.abort();
    (this.stream as unknown as { destroy?(): void } | undefined)?.destroy?.();
    await this.running;
  }
}
