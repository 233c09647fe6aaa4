import type { MasterWebhookEvent, WebhookDeliveryView, WebhookView } from "@dockflow/protocol";
import type { WebhookDeliveryRow, WebhookRow } from "../db/schema.ts";

/** A webhook as the API shows it: everything but its secret. */
export function webhookView(row: WebhookRow): WebhookView {
  return {
    id: row.id,
    url: row.url,
    events: row.events as MasterWebhookEvent[],
    description: row.description,
    created_at: row.created_at.toISOString(),
  };
}

export function deliveryView(row: WebhookDeliveryRow): WebhookDeliveryView {
  return {
    id: row.id,
    webhook_id: row.webhook_id,
    event_id: row.event_id,
    event: row.event,
    status: row.status,
    attempts: row.attempts,
    last_status_code: row.last_status_code,
    last_error: row.last_error,
    created_at: row.created_at.toISOString(),
    next_attempt_at: row.status === "pending" ? row.next_attempt_at.toISOString() : null,
    delivered_at: row.delivered_at?.toISOString() ?? null,
  };
}
