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

export function listEvents(db: Executor, filter: { agentId?: string; type?: string } = {}) {
  let query = db.selectFrom("event_log").selectAll();
  if (filter.agentId) query = query.where("agent_id", "=", filter.agentId);
  if (filter.type) query = query.where("type", "=", filter.type);
  return query.orderBy("id").execute();
}
