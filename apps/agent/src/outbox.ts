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
 * The queue after `event` joins it: an older queued heartbeat or status report is replaced by a
 * newer one of the same type, and past `capacity` (at least 1) the oldest events are dropped. The head is never
 * replaced or dropped: it may be in flight.
 */
export function admit(
  queue: readonly AgentEvent[],
  event: AgentEvent,
  capacity: number,
): { queue: AgentEvent[]; dropped: number } {
  const next = COALESCED.has(event.type)
    ? queue.filter((e, i) => i === 0 || e.type !== event.type)
    : [...queue];
  next.push(event);
  const excess = Math.max(0, next.length - capacity);
  next.splice(1, excess);
  return { queue: next, dropped: excess };
}

/** What a failed delivery of the head event means. */
export type DeliveryFailure =
  /** 404 again after registering again: the master cannot place this event; drop it. */
  | { kind: "unplaceable"; status: 404 }
  /** 401/404: the master does not know this agent (or key); register again and retry. */
  | { kind: "reregister"; status: 401 | 404 }
  /** Refused for good (4xx other than 401/404/408/429): drop it. */
  | { kind: "rejected"; status: number; message: string }
  /** Network, 408, 429, 5xx: retry after the master's Retry-After, or the backoff. */
  | { kind: "retry"; retryAfterMs: number | undefined; message: string };

/** Decides what to do after `send` failed; `sameHeadAfter404`: this head already got a 404. */
export function classifyFailure(error: unknown, sameHeadAfter404: boolean): DeliveryFailure {
  const message = (error as Error).message;
  if (!(error instanceof MasterError)) return { kind: "retry", retryAfterMs: undefined, message };
  if (error.status === 404 && sameHeadAfter404) return { kind: "unplaceable", status: 404 };
  if (error.status === 401 || error.status === 404) {
    return { kind: "reregister", status: error.status };
  }
  if (!error.retryable) return { kind: "rejected", status: error.status, message };
  const retryAfterMs = error.retryAfterSeconds ? error.retryAfterSeconds * 1000 : undefined;
  return { kind: "retry", retryAfterMs, message };
}

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
    const admitted = admit(this.queue, full, this.deps.capacity);
    this.queue.splice(0, this.queue.length, ...admitted.queue);
    for (let i = 0; i < admitted.dropped; i++) {
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
        const failure = classifyFailure(error, notFoundHead === event);
        if (failure.kind === "unplaceable") {
          // Still 404 after registering again: the master does not know what this event refers
          // to (e.g. an acknowledgement of a command it no longer has). Do not block the queue.
          this.queue.shift();
          this.deps.log.warn(
            { type: event.type, event_id: event.event_id },
            "master does not know what this event refers to; dropped",
          );
        } else if (failure.kind === "reregister") {
          // Unknown agent (or key): register again, then retry this event once more.
          if (failure.status === 404) notFoundHead = event;
          this.deps.reregister();
          await backoff.wait(signal);
        } else if (failure.kind === "rejected") {
          // The master refuses this event for good (e.g. validation): do not block the queue.
          this.queue.shift();
          this.deps.log.error(
            {
              type: event.type,
              event_id: event.event_id,
              status: failure.status,
              err: failure.message,
            },
            "master rejected an event; dropped",
          );
        } else {
          this.deps.log.debug(
            { type: event.type, queued: this.queue.length, err: failure.message },
            "event delivery failed; will retry",
          );
          await delay(failure.retryAfterMs ?? backoff.next(), signal);
        }
      }
    }
  }

  async close(): Promise<void> {
    await this.running;
  }
}
