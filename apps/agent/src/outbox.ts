import { randomUUID } from "node:crypto";
import type { AgentEvent } from "@dockflow/protocol";
import type pino from "pino";
import { Backoff, delay } from "./backoff.ts";
import { MasterError } from "./master-client.ts";

/** An event as queued: the agent fills in event_id, timestamp and mode. */
export type OutgoingEvent = AgentEvent;

export interface OutboxDeps {
  capacity: number;
  /** Waits for registration and returns the agent id. */
  agentId: () => Promise<string>;
  send: (agentId: string, event: AgentEvent, signal: AbortSignal) => Promise<void>;
  /** The master does not know this agent any more (401/404): register again. */
  reregister: () => void;
  log: pino.Logger;
  signal: AbortSignal;
}

/** Only the newest of these is worth sending: older queued ones are replaced. */
const COALESCED = new Set(["heartbeat", "status_report"]);

/**
 * A bounded, in-order queue of events for the master. While the master is away events wait here
 * and are sent in order when it returns; when full, the oldest are dropped (the next status
 * report corrects what they would have said). Each event carries an event_id, so a retried
 * delivery is applied once by the master.
 */
export class Outbox {
  private readonly queue: AgentEvent[] = [];
  private wake: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private idleWaiters: (() => void)[] = [];
  dropped = 0;
  delivered = 0;

  constructor(private readonly deps: OutboxDeps) {}

  get size(): number {
    return this.queue.length;
  }

  push(event: AgentEvent): void {
    const full: AgentEvent = {
      ...event,
      event_id: event.event_id ?? randomUUID(),
      timestamp: event.timestamp ?? new Date().toISOString(),
    };
    if (COALESCED.has(full.type)) {
      // Keep the head (it may be in flight); replace a queued older one of the same type.
      const index = this.queue.findIndex((e, i) => i > 0 && e.type === full.type);
      if (index > 0) this.queue.splice(index, 1);
    }
    this.queue.push(full);
    while (this.queue.length > this.deps.capacity) {
      // Never drop the head: it may be in flight.
      this.queue.splice(1, 1);
      this.dropped++;
      if (this.dropped === 1 || this.dropped % 100 === 0) {
        this.deps.log.warn({ dropped: this.dropped }, "event buffer full: dropping oldest events");
      }
    }
    this.wake?.();
  }

  start(): void {
    this.running ??= this.loop();
  }

  /** Resolves when everything queued so far has been delivered (for tests and shutdown). */
  idle(): Promise<void> {
    if (this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async loop(): Promise<void> {
    const backoff = new Backoff(200, 15_000);
    const { signal } = this.deps;
    let notFoundHead: AgentEvent | undefined;
    while (!signal.aborted) {
      const event = this.queue[0];
      if (!event) {
        for (const resolve of this.idleWaiters.splice(0)) resolve();
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          signal.addEventListener("abort", () => resolve(), { once: true });
        });
        this.wake = undefined;
        continue;
      }
      let agentId: string;
      try {
        agentId = await this.deps.agentId();
      } catch {
        continue; // shutting down
      }
      try {
        await this.deps.send(agentId, event, signal);
        this.queue.shift();
        this.delivered++;
        backoff.reset();
      } catch (error) {
        if (signal.aborted) break;
        const status = error instanceof MasterError ? error.status : 0;
        if (status === 404 && notFoundHead === event) {
          // Still 404 after registering again: the master does not know what this event refers
          // to (e.g. an acknowledgement of a command it no longer has). Do not block the queue.
          this.queue.shift();
          this.deps.log.warn(
            { type: event.type, event_id: event.event_id },
            "master does not know what this event refers to; dropped",
          );
        } else if (status === 401 || status === 404) {
          // Unknown agent (or key): register again, then retry this event once more.
          if (status === 404) notFoundHead = event;
          this.deps.reregister();
          await backoff.wait(signal);
        } else if (error instanceof MasterError && !error.retryable) {
          // The master refuses this event for good (e.g. validation): do not block the queue.
          this.queue.shift();
          this.deps.log.error(
            { type: event.type, event_id: event.event_id, status, err: error.message },
            "master rejected an event; dropped",
          );
        } else {
          const wait =
            error instanceof MasterError && error.retryAfterSeconds
              ? error.retryAfterSeconds * 1000
              : backoff.next();
          this.deps.log.debug(
            { type: event.type, queued: this.queue.length, err: (error as Error).message },
            "event delivery failed; will retry",
          );
          await delay(wait, signal);
        }
      }
    }
  }

  async close(): Promise<void> {
    await this.running;
  }
}
