import { z } from "zod";
import { Timestamp } from "../common.ts";

/** The master's notifications (webhooks): what operators subscribe to and what each delivery carries. */

/** The events the master notifies; `test` is sent only by `POST /webhooks/{id}/test`. */
export const MasterWebhookEvent = z.enum([
  "agent_offline",
  "agent_online",
  "connector_down",
  "connector_up",
  "reconcile_failed",
  "hostname_published",
  "hostname_removed",
]);
export type MasterWebhookEvent = z.infer<typeof MasterWebhookEvent>;

export const WebhookId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^wh_[A-Za-z0-9_-]+$/, "webhook ids start with 'wh_'");

/** `POST /webhooks`. The secret signs every delivery; it is never returned or logged. */
export const WebhookCreate = z.object({
  url: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).max(2048),
  events: z
    .array(MasterWebhookEvent)
    .min(1)
    .max(MasterWebhookEvent.options.length)
    .refine((events) => new Set(events).size === events.length, "each event at most once"),
  secret: z.string().min(16, "at least 16 characters").max(256),
  description: z.string().max(200).default(""),
});
export type WebhookCreate = z.infer<typeof WebhookCreate>;

/** A webhook as the API shows it (never its secret). */
export const WebhookView = z.object({
  id: WebhookId,
  url: z.string(),
  events: z.array(MasterWebhookEvent),
  description: z.string(),
  created_at: Timestamp,
});
export type WebhookView = z.infer<typeof WebhookView>;

export const WebhookList = z.object({ webhooks: z.array(WebhookView) });

export const DeliveryStatus = z.enum(["pending", "delivered", "failed"]);
export type DeliveryStatus = z.infer<typeof DeliveryStatus>;

/** One delivery of one event to one webhook. */
export const WebhookDeliveryView = z.object({
  id: z.string(),
  webhook_id: WebhookId,
  event_id: z.string(),
  event: z.string(),
  /** `failed`: given up after the retry window (`WEBHOOK_RETRY_SECONDS`). */
  status: DeliveryStatus,
  attempts: z.number().int(),
  /** The receiver's last HTTP status, null before an answer. */
  last_status_code: z.number().int().nullable(),
  /** Why the last attempt failed, null after success or before the first attempt. */
  last_error: z.string().nullable(),
  created_at: Timestamp,
  /** When the next attempt is due (pending only). */
  next_attempt_at: Timestamp.nullable(),
  delivered_at: Timestamp.nullable(),
});
export type WebhookDeliveryView = z.infer<typeof WebhookDeliveryView>;

export const WebhookDeliveryQuery = z.object({
  status: DeliveryStatus.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export const WebhookDeliveryList = z.object({ deliveries: z.array(WebhookDeliveryView) });

/**
 * The JSON body of every delivery (master and flow manager). `text` is Slack- and
 * Mattermost-compatible, so an incoming webhook shows the body as is.
 */
export const WebhookPayload = z.object({
  /** Unique per event: a receiver seeing it twice (at-least-once delivery) drops the repeat. */
  id: z.string(),
  type: z.string(),
  at: Timestamp,
  text: z.string(),
  data: z.record(z.string(), z.unknown()),
});
export type WebhookPayload = z.infer<typeof WebhookPayload>;

/** Headers of every delivery; the signature is `sha256=` HMAC-SHA256(secret, `${timestamp}.${body}`) in hex. */
export const WEBHOOK_SIGNATURE_HEADER = "x-dockflow-signature";
export const WEBHOOK_TIMESTAMP_HEADER = "x-dockflow-timestamp";
export const WEBHOOK_EVENT_HEADER = "x-dockflow-event";
export const WEBHOOK_DELIVERY_HEADER = "x-dockflow-delivery";
