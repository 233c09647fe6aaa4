import {
  WEBHOOK_DELIVERY_HEADER,
  WEBHOOK_EVENT_HEADER,
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_TIMESTAMP_HEADER,
} from "@dockflow/protocol";
import type { Kysely } from "kysely";
import type { Logger } from "pino";
import * as repo from "../db/repositories/webhooks.ts";
import type { Database } from "../db/schema.ts";
import { nextAttempt, type RetryPolicy } from "./backoff.ts";
import { CoalescedRunner } from "./coalesced.ts";
import { signDelivery } from "./signature.ts";

const BATCH = 20;
/** Beyond the request timeout, how long a claimed delivery stays leased to its master. */
const LEASE_MARGIN_MS = 5_000;
const MAX_ERROR_LENGTH = 500;

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

interface Attempt {
  statusCode: number | null;
  error: string | null;
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

  private async attempt(delivery: repo.ClaimedDelivery): Promise<Attempt> {
    const timestamp = Math.floor(this.options.clock().getTime() / 1000);
    const signal = AbortSignal.any([
      this.aborts.signal,
      AbortSignal.timeout(this.options.timeoutMs),
    ]);
    try {
      const response = await (this.options.fetch ?? fetch)(delivery.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": "dockflow-master",
          [WEBHOOK_SIGNATURE_HEADER]: signDelivery(delivery.secret, timestamp, delivery.body),
          [WEBHOOK_TIMESTAMP_HEADER]: String(timestamp),
          [WEBHOOK_EVENT_HEADER]: delivery.event,
          [WEBHOOK_DELIVERY_HEADER]: delivery.id,
        },
        body: delivery.body,
        redirect: "manual",
        signal,
      });
      await response.body?.cancel().catch(() => undefined);
      if (response.status >= 200 && response.status < 300) {
        return { statusCode: response.status, error: null };
      }
      return { statusCode: response.status, error: `receiver answered HTTP ${response.status}` };
    } catch (error) {
      return { statusCode: null, error: describeFailure(error, this.options.timeoutMs) };
    }
  }
}

function describeFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof DOMException && error.name === "TimeoutError") {
    return `no answer within ${timeoutMs} ms`;
  }
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const message = cause?.code ?? cause?.message ?? (error as Error).message ?? String(error);
  return `request failed: ${message}`.slice(0, MAX_ERROR_LENGTH);
}
