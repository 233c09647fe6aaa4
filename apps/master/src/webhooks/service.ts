import type {
  DeliveryStatus,
  WebhookCreate,
  WebhookDeliveryView,
  WebhookView,
} from "@dockflow/protocol";
import type { Kysely } from "kysely";
import { randomId } from "../auth/secrets.ts";
import * as repo from "../db/repositories/webhooks.ts";
import type { Database } from "../db/schema.ts";
import { webhookBody } from "./notifications.ts";
import { deliveryView, webhookView } from "./views.ts";

/** Most webhooks a master keeps (the list is not paginated). */
export const MAX_WEBHOOKS = 100;

/** Creating one more webhook than `MAX_WEBHOOKS`. */
export class WebhookLimitError extends Error {
  constructor() {
    super(`at most ${MAX_WEBHOOKS} webhooks`);
    this.name = "WebhookLimitError";
  }
}

export interface WebhookServiceOptions {
  db: Kysely<Database>;
  clock: () => Date;
  /** A delivery was queued (the deliverer should look). */
  onQueued: () => void;
}

/** The operators' webhooks: created with a write-only secret, listed, deleted, tested. */
export class WebhookService {
  constructor(private readonly options: WebhookServiceOptions) {}

  async create(input: WebhookCreate): Promise<WebhookView> {
    const row = {
      id: randomId("wh_"),
      url: input.url,
      events: input.events,
      secret: input.secret,
      description: input.description,
      created_at: this.options.clock(),
    };
    await this.options.db.transaction().execute(async (tx) => {
      if ((await repo.countWebhooks(tx)) >= MAX_WEBHOOKS) throw new WebhookLimitError();
      await repo.insertWebhook(tx, row);
    });
    return webhookView(row);
  }

  async list(): Promise<WebhookView[]> {
    return (await repo.listWebhooks(this.options.db)).map(webhookView);
  }

  /** False when there is no such webhook; its queued deliveries go with it. */
  delete(id: string): Promise<boolean> {
    return repo.deleteWebhook(this.options.db, id);
  }

  /** Queues a `test` event for the webhook; undefined when there is no such webhook. */
  async test(id: string): Promise<WebhookDeliveryView | undefined> {
    const webhook = await repo.getWebhook(this.options.db, id);
    if (!webhook) return undefined;
    const at = this.options.clock();
    const eventId = randomId("evt_test_", 12);
    const delivery = {
      id: randomId("dlv_", 12),
      webhook_id: id,
      event_id: eventId,
      event: "test",
      body: webhookBody(eventId, at, "test", {
        text: `Test notification for webhook ${id}${webhook.description ? ` (${webhook.description})` : ""}`,
        data: { webhook_id: id },
      }),
      created_at: at,
    };
    await repo.insertDeliveries(this.options.db, [delivery]);
    this.options.onQueued();
    const row = await repo.getDelivery(this.options.db, delivery.id);
    return row && deliveryView(row);
  }

  /** A webhook's deliveries, newest first; undefined when there is no such webhook. */
  async deliveries(
    id: string,
    query: { status?: DeliveryStatus | undefined; limit: number },
  ): Promise<WebhookDeliveryView[] | undefined> {
    if (!(await repo.getWebhook(this.options.db, id))) return undefined;
    const rows = await repo.listDeliveries(this.options.db, id, {
      limit: query.limit,
      ...(query.status ? { status: query.status } : {}),
    });
    return rows.map(deliveryView);
  }
}
