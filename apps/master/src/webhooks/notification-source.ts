import type { Kysely } from "kysely";
import type { Logger } from "pino";
import { randomId } from "../auth/secrets.ts";
import { readChangesAfter, streamChange } from "../db/repositories/changes.ts";
import * as repo from "../db/repositories/webhooks.ts";
import type { Database } from "../db/schema.ts";
import { CoalescedRunner } from "./coalesced.ts";
import { notificationFor, webhookBody } from "./notifications.ts";

const PAGE = 200;

export interface NotificationSourceOptions {
  db: Kysely<Database>;
  clock: () => Date;
  logger: Logger;
  /** Deliveries were queued (the deliverer should look). */
  onQueued: () => void;
}

/**
 * Turns the change stream into deliveries, in one place: the changes after the cursor are read,
 * each notification queued for every webhook that wants its event, and the cursor moved, in one
 * transaction. The cursor's row lock makes masters take turns, so no event is queued twice.
 */
export class NotificationSource {
  private readonly runner: CoalescedRunner;

  constructor(private readonly options: NotificationSourceOptions) {
    this.runner = new CoalescedRunner(
      () => this.drain(),
      (error) =>
        options.logger.warn({ err: { message: error.message } }, "queueing notifications failed"),
    );
  }

  /** Changes were recorded: look for notifications soon. */
  changed(): void {
    this.runner.request();
  }

  /** Waits for the look under way (tests). */
  settled(): Promise<void> {
    return this.runner.settled();
  }

  stop(): Promise<void> {
    return this.runner.stop();
  }

  private async drain(): Promise<void> {
    let queued = 0;
    for (;;) {
      const page = await this.queuePage();
      queued += page.queued;
      if (page.changes < PAGE) break;
    }
    if (queued > 0) this.options.onQueued();
  }

  /** One page of changes; returns how many changes were read and deliveries queued. */
  private queuePage(): Promise<{ changes: number; queued: number }> {
    return this.options.db.transaction().execute(async (tx) => {
      const through = await repo.lockCursor(tx);
      const rows = await readChangesAfter(tx, through, PAGE);
      const last = rows.at(-1);
      if (!last) return { changes: 0, queued: 0 };
      const webhooks = await repo.listWebhooks(tx);
      const now = this.options.clock();
      const deliveries: repo.NewDelivery[] = [];
      for (const row of rows) {
        const change = streamChange(row);
        const notification = notificationFor(change);
        if (!notification) continue;
        const eventId = `evt_${change.id}`;
        const body = webhookBody(eventId, change.at, notification.event, notification);
        for (const webhook of webhooks) {
          if (!webhook.events.includes(notification.event)) continue;
          deliveries.push({
            id: randomId("dlv_", 12),
            webhook_id: webhook.id,
            event_id: eventId,
            event: notification.event,
            body,
            created_at: now,
          });
        }
      }
      await repo.insertDeliveries(tx, deliveries);
      await repo.moveCursor(tx, String(last.id));
      return { changes: rows.length, queued: deliveries.length };
    });
  }
}
