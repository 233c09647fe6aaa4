import {
  type AttemptOutcome,
  nextAttempt,
  type RetryPolicy,
  sendDelivery,
} from "@dockflow/webhook-core";
import type { Kysely } from "kysely";
import type { Logger } from "pino";
import * as repo from "../db/repositories/webhooks.ts";
import type { Database } from "../db/schema.ts";
import { CoalescedRunner } from "./coalesced.ts";

const BATCH = 20;
/** Beyond the request timeout, how long a claimed delivery stays leased to its master. */
const LEASE_MARGIN_MS = 5_000;

export interface DelivererOptions {
  db: Kysely<Database>;
  clock: () => Date;
  logger: Logger;
  policy: RetryPolicy;
  /** How long one attempt may take. */
  timeoutMs: number;
  /** How often due deliveries are looked for without being told (retries, other masters' queue). */
  pollIntervalMs: number;
  fetch?: typeof fetch;
}

/**
 * Sends queued deliveries: claims the due ones, POSTs each signed body, and records the outcome
 * (delivered, retried later with exponential backoff, or failed past the retry window). Neither
 * URLs (a Slack URL is a credential) nor secrets are logged.
 */
export class Deliverer {
  private readonly runner: CoalescedRunner;
  private readonly aborts = new AbortController();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: DelivererOptions) {
    this.runner = new CoalescedRunner(
      () => this.drain(),
      (error) =>
        options.logger.warn({ err: { message: error.message } }, "delivering webhooks failed"),
    );
  }

  start(): void {
    this.timer ??= setInterval(() => this.runner.request(), this.options.pollIntervalMs);
    this.runner.request();
  }

  /** Deliveries were queued or came due: look soon. */
  wake(): void {
    this.runner.request();
  }

  /** Waits for the look under way (tests). */
  settled(): Promise<void> {
    return this.runner.settled();
  }

  /** Stops; attempts under way are abandoned, and their leases run out for a later attempt. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.aborts.abort();
    await this.runner.stop();
  }

  private async drain(): Promise<void> {
    for (;;) {
      if (this.aborts.signal.aborted) return;
      const now = this.options.clock();
      const lease = new Date(now.getTime() + this.options.timeoutMs + LEASE_MARGIN_MS);
      const claimed = await repo.claimDueDeliveries(this.options.db, now, lease, BATCH);
      await Promise.all(claimed.map((delivery) => this.deliver(delivery)));
      if (claimed.length < BATCH) return;
    }
  }

  private async deliver(delivery: repo.ClaimedDelivery): Promise<void> {
    const attempt = await this.attempt(delivery);
    if (this.aborts.signal.aborted) return;
    const at = this.options.clock();
    const log = {
      delivery_id: delivery.id,
      webhook_id: delivery.webhook_id,
      event: delivery.event,
      attempts: delivery.attempts,
    };
    if (attempt.error === null) {
      await repo.recordAttempt(this.options.db, delivery.id, {
        status: "delivered",
        at,
        ...attempt,
      });
      this.options.logger.info(log, "webhook delivered");
      return;
    }
    const next = nextAttempt(this.options.policy, delivery.created_at, delivery.attempts, at);
    await repo.recordAttempt(this.options.db, delivery.id, {
      status: next ? "pending" : "failed",
      at,
      ...attempt,
      ...(next ? { nextAttemptAt: next } : {}),
    });
    if (next) {
      this.options.logger.warn(
        { ...log, error: attempt.error, next_attempt_at: next.toISOString() },
        "webhook delivery failed; will retry",
      );
    } else {
      this.options.logger.error(
        { ...log, error: attempt.error },
        "webhook delivery failed past its retry window; given up",
      );
    }
  }

  private attempt(delivery: repo.ClaimedDelivery): Promise<AttemptOutcome> {
    return sendDelivery({
      url: delivery.url,
      secret: delivery.secret,
      body: delivery.body,
      event: delivery.event,
      deliveryId: delivery.id,
      userAgent: "dockflow-master",
      now: this.options.clock(),
      timeoutMs: this.options.timeoutMs,
      signal: this.aborts.signal,
      ...(this.options.fetch ? { fetch: this.options.fetch } : {}),
    });
  }
}
