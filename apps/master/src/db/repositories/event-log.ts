import { sql } from "kysely";
import type { Executor } from "./executor.ts";

export interface LogEntry {
  agent_id: string | null;
  event_id?: string | null | undefined;
  type: string;
  payload: Record<string, unknown>;
  created_at: Date;
}

/**
 * Appends to the event log. With an `event_id`, an entry already recorded for that agent is not
 * appended again and `false` comes back: the caller then knows the event is a redelivery.
 */
export async function appendEvent(db: Executor, entry: LogEntry): Promise<boolean> {
  const values = {
    agent_id: entry.agent_id,
    event_id: entry.event_id ?? null,
    type: entry.type,
    payload: JSON.stringify(entry.payload),
    created_at: entry.created_at,
  };
  if (!entry.event_id) {
    await db.insertInto("event_log").values(values).execute();
    return true;
  }
  const inserted = await db
    .insertInto("event_log")
    .values(values)
    .onConflict((oc) =>
      oc.columns(["agent_id", "event_id"]).where("event_id", "is not", null).doNothing(),
    )
    .returning("id")
    .executeTakeFirst();
  return inserted !== undefined;
}

/**
 * A connector status report (`tunnel_status`): appended to the event log and copied onto the
 * agent's tunnel row (if it has one) in one statement, which is atomic on its own, so the most
 * frequent event after heartbeats costs one round trip instead of a four-statement transaction.
 * Like `appendEvent`, `false` means the `event_id` was already recorded and nothing changed.
 */
export async function appendTunnelStatus(
  db: Executor,
  entry: LogEntry & { agent_id: string },
  connector: { status: string; version: string | null },
): Promise<boolean> {
  const result = await sql<{ fresh: boolean }>`
    with logged as (
      insert into event_log (agent_id, event_id, type, payload, created_at)
      values (${entry.agent_id}, ${entry.event_id ?? null}, ${entry.type},
        ${JSON.stringify(entry.payload)}, ${entry.created_at})
      on conflict (agent_id, event_id) where event_id is not null do nothing
      returning id
    ), updated as (
      update tunnels set connector_status = ${connector.status},
        connector_version = ${connector.version}, updated_at = ${entry.created_at}
      where agent_id = ${entry.agent_id} and exists (select from logged)
      returning agent_id
    )
    select exists (select from logged) as fresh`.execute(db);
  return result.rows[0]?.fresh === true;
}

export function listEvents(db: Executor, filter: { agentId?: string; type?: string } = {}) {
  let query = db.selectFrom("event_log").selectAll();
  if (filter.agentId) query = query.where("agent_id", "=", filter.agentId);
  if (filter.type) query = query.where("type", "=", filter.type);
  return query.orderBy("id").execute();
}
