import { randomUUID } from "node:crypto";
import type { FlowWebhookData, FlowWebhookEvent, WebhookPayload } from "@dockflow/protocol";
import {
  type AttemptOutcome,
  nextAttempt,
  type RetryPolicy,
  sendDelivery,
} from "@dockflow/webhook-core";
import type { Logger } from "pino";
import type { FlowWebhook } from "../config.ts";
import type { DeliveryFolder, StoredDelivery } from "./delivery-folder.ts";
import { webhookText } from "./webhook-text.ts";

export interface FlowWebhooksOptions {
  /** FLOW_WEBHOOKS: each URL at most once. */
  hooks: FlowWebhook[];
  folder: DeliveryFolder;
  managerId: string;
  policy: RetryPolicy;
  /** How long one attempt may take. */
  timeoutMs: number;
  clock: () => Date;
  log: Logger;
}

/** What the notifier hands over: the event's data without the manager id (added here). */
export type FlowEventData<E extends FlowWebhookEvent> = Omit<FlowWebhookData[E], "manager_id">;

/**
 * The flow manager's webhooks: each event is written to the delivery folder (one fsync'd file per
 * webhook that wants it) before its first attempt, then POSTed signed, retried with exponential
 * backoff until the retry window closes (the file is then marked failed), and removed once
 * delivered. Deliveries left by a stopped or killed manager are resumed by `start`. Neither URLs
 * (a Slack URL is a credential) nor secrets are logged.
 */
export class FlowWebhooks {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly work = new Set<Promise<void>>();
  private readonly aborts = new AbortController();
  private started: Promise<void> | undefined;

  constructor(private readonly options: FlowWebhooksOptions) {}

  /** Creates the folder and resumes the deliveries found in it. Nothing to do without webhooks. */
  start(): Promise<void> {
    this.started ??= this.resume();
    return this.started;
  }

  /** Queues `event` for every webhook that wants it; errors are logged, never thrown. */
  notify<E extends FlowWebhookEvent>(event: E, data: FlowEventData<E>): void {
    const hooks = this.options.hooks.filter((h) => h.events.includes(event));
    if (hooks.length === 0 || this.aborts.signal.aborted) return;
    const full = { ...data, manager_id: this.options.managerId } as FlowWebhookData[E];
    const payload: WebhookPayload = {
      id: `evt_${randomUUID()}`,
      type: event,
      at: this.options.clock().toISOString(),
      text: webhookText(event, full),
      data: full,
    };
    const body = JSON.stringify(payload);
    for (const hook of hooks) this.track(this.queue(hook.url, event, body));
  }

  /** Stops: attempts under way are abandoned; their files stay to be resumed on the next start. */
  async close(): Promise<void> {
    this.aborts.abort();
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await Promise.allSettled([this.started, ...this.work]);
  }

  private async resume(): Promise<void> {
    if (this.options.hooks.length === 0) return;
    await this.options.folder.init();
    const pending = await this.options.folder.pending();
    if (pending.length > 0) {
      this.options.log.info({ deliveries: pending.length }, "resuming webhook deliveries");
    }
    for (const delivery of pending) this.schedule(delivery);
  }

  private async queue(url: string, event: string, body: string): Promise<void> {
    await this.start();
    const now = this.options.clock().toISOString();
    const delivery: StoredDelivery = {
      id: `dlv_${randomUUID()}`,
      url,
      event,
      body,
      created_at: now,
      attempts: 0,
      next_attempt_at: now,
      status: "pending",
      last_status_code: null,
      last_error: null,
    };
    await this.options.folder.write(delivery);
    this.schedule(delivery);
  }

  private schedule(delivery: StoredDelivery): void {
    if (this.aborts.signal.aborted) return;
    const wait = Date.parse(delivery.next_attempt_at) - this.options.clock().getTime();
    const timer = setTimeout(
      () => {
        this.timers.delete(delivery.id);
        this.track(this.attempt(delivery));
      },
      Math.max(0, wait),
    );
    this.timers.set(delivery.id, timer);
  }

  private async attempt(delivery: StoredDelivery): Promise<void> {
    const log = { delivery_id: delivery.id, event: delivery.event };
    const hook = this.options.hooks.find((h) => h.url === delivery.url);
    if (!hook) {
      const outcome = { statusCode: null, error: "webhook no longer configured" };
      await this.record(delivery, delivery.attempts, outcome, "failed");
      this.options.log.error(log, "webhook delivery failed: its webhook is no longer configured");
      return;
    }
    const outcome = await sendDelivery({
      url: hook.url,
      secret: hook.secret,
      body: delivery.body,
      event: delivery.event,
      deliveryId: delivery.id,
      userAgent: "dockflow-flow-manager",
      now: this.options.clock(),
      timeoutMs: this.options.timeoutMs,
      signal: this.aborts.signal,
    });
    if (this.aborts.signal.aborted) return;
    const attempts = delivery.attempts + 1;
    if (outcome.error === null) {
      await this.options.folder.remove(delivery.id);
      this.options.log.info({ ...log, attempts }, "webhook delivered");
      return;
    }
    const next = nextAttempt(
      this.options.policy,
      new Date(delivery.created_at),
      attempts,
      this.options.clock(),
    );
    const updated = await this.record(delivery, attempts, outcome, next ?? "failed");
    if (next) {
      this.options.log.warn(
        { ...log, attempts, error: outcome.error, next_attempt_at: updated.next_attempt_at },
        "webhook delivery failed; will retry",
      );
      this.schedule(updated);
    } else {
      this.options.log.error(
        { ...log, attempts, error: outcome.error },
        "webhook delivery failed past its retry window; given up",
      );
    }
  }

  /** Writes the outcome of an attempt: pending until `next`, or failed. */
  private async record(
    delivery: StoredDelivery,
    attempts: number,
    outcome: AttemptOutcome,
    next: Date | "failed",
  ): Promise<StoredDelivery> {
    const updated: StoredDelivery = {
      ...delivery,
      attempts,
      status: next === "failed" ? "failed" : "pending",
      next_attempt_at: next === "failed" ? delivery.next_attempt_at : next.toISOString(),
      last_status_code: outcome.statusCode,
      last_error: outcome.error,
    };
    await this.options.folder.write(updated);
    return updated;
  }

  private track(work: Promise<void>): void {
    const logged = work.catch((error: Error) => {
      this.options.log.error({ err: { message: error.message } }, "webhook delivery step failed");
    });
    this.work.add(logged);
    void logged.finally(() => this.work.delete(logged));
  }
}
