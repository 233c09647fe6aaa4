import { sql } from "kysely";
import type { WebhookDeliveryRow, WebhookRow } from "../schema.ts";
import type { Executor } from "./executor.ts";

export async function insertWebhook(db: Executor, row: WebhookRow): Promise<void> {
  await db
    .insertInto("webhooks")
    .values({ ...row, events: JSON.stringify(row.events) })
    .execute();
}

export function listWebhooks(db: Executor): Promise<WebhookRow[]> {
  return db.selectFrom("webhooks").selectAll().orderBy("created_at").orderBy("id").execute();
}

export function getWebhook(db: Executor, id: string): Promise<WebhookRow | undefined> {
  return db.selectFrom("webhooks").selectAll().where("id", "=", id).executeTakeFirst();
}

export async function countWebhooks(db: Executor): Promise<number> {
  const row = await db
    .selectFrom("webhooks")
    .select((eb) => eb.fn.countAll<string>().as("count"))
    .executeTakeFirst();
  return Number(row?.count ?? 0);
}

/** Deletes a webhook and its deliveries; false when there was none. */
export async function deleteWebhook(db: Executor, id: string): Promise<boolean> {
  const result = await db.deleteFrom("webhooks").where("id", "=", id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export interface NewDelivery {
  id: string;
  webhook_id: string;
  event_id: string;
  event: string;
  body: string;
  created_at: Date;
}

/** Queues deliveries, due at once; an event already queued for a webhook is not queued again. */
export async function insertDeliveries(db: Executor, rows: readonly NewDelivery[]): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insertInto("webhook_deliveries")
    .values(rows.map((row) => ({ ...row, status: "pending", next_attempt_at: row.created_at })))
    .onConflict((oc) => oc.columns(["webhook_id", "event_id"]).doNothing())
    .execute();
}

export type ClaimedDelivery = WebhookDeliveryRow & { url: string; secret: string };

/**
 * Takes up to `limit` due deliveries for one attempt each: counts the attempt and leases them until
 * `leaseUntil`. `SKIP LOCKED` and the lease keep several masters from sending one delivery at once;
 * a master that dies mid-attempt leaves a lease that runs out, and the delivery is taken again.
 */
export async function claimDueDeliveries(
  db: Executor,
  now: Date,
  leaseUntil: Date,
  limit: number,
): Promise<ClaimedDelivery[]> {
  const result = await sql<ClaimedDelivery>`
    with due as (
      select id from webhook_deliveries
      where status = 'pending' and next_attempt_at <= ${now}
        and (lease_until is null or lease_until <= ${now})
      order by next_attempt_at, id
      limit ${limit}
      for update skip locked
    ), claimed as (
      update webhook_deliveries d set lease_until = ${leaseUntil}, attempts = d.attempts + 1
      from due where d.id = due.id
      returning d.*
    )
    select claimed.*, w.url, w.secret from claimed join webhooks w on w.id = claimed.webhook_id`.execute(
    db,
  );
  return result.rows;
}

export interface AttemptOutcome {
  status: "pending" | "delivered" | "failed";
  at: Date;
  statusCode: number | null;
  error: string | null;
  /** When pending: the next attempt. */
  nextAttemptAt?: Date;
}

/** Records an attempt's outcome and releases the lease. */
export async function recordAttempt(
  db: Executor,
  id: string,
  outcome: AttemptOutcome,
): Promise<void> {
  await db
    .updateTable("webhook_deliveries")
    .set({
      status: outcome.status,
      lease_until: null,
      last_status_code: outcome.statusCode,
      last_error: outcome.error,
      ...(outcome.status === "delivered" ? { delivered_at: outcome.at } : {}),
      ...(outcome.nextAttemptAt ? { next_attempt_at: outcome.nextAttemptAt } : {}),
    })
    .where("id", "=", id)
    .execute();
}

/** A webhook's deliveries, newest first. */
export function listDeliveries(
  db: Executor,
  webhookId: string,
  options: { status?: WebhookDeliveryRow["status"]; limit: number },
): Promise<WebhookDeliveryRow[]> {
  let query = db
    .selectFrom("webhook_deliveries")
    .selectAll()
    .where("webhook_id", "=", webhookId)
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .limit(options.limit);
  if (options.status) query = query.where("status", "=", options.status);
  return query.execute();
}

export function getDelivery(db: Executor, id: string): Promise<WebhookDeliveryRow | undefined> {
  return db.selectFrom("webhook_deliveries").selectAll().where("id", "=", id).executeTakeFirst();
}

/** The cursor row, locked until the transaction ends: one master turns changes into deliveries at a time. */
export async function lockCursor(db: Executor): Promise<string> {
  const row = await sql<{
    through: string;
  }>`select through::text as through from webhook_cursor for update`.execute(db);
  return row.rows[0]?.through ?? "0";
}

export async function moveCursor(db: Executor, through: string): Promise<void> {
  await db.updateTable("webhook_cursor").set({ through }).execute();
}
