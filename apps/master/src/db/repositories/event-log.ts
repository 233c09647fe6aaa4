import { sql } from "kysely";
import { InvalidCursorError, type PageRequest } from "../../services/pagination.ts";
import type { EventLogRow } from "../schema.ts";
import type { Executor } from "./executor.ts";

export interface LogEntry {
  agent_id: string | null;
  event_id?: string | null | undefined;
  type: string;
  payload: Record<string, unknown>;
  created_at: Date;
}

/**
 * Appends to the event log; returns the entry's id. With an `event_id`, an entry already recorded
 * for that agent is not appended again and `undefined` comes back: the caller then knows the
 * event is a redelivery.
 */
export async function appendEvent(db: Executor, entry: LogEntry): Promise<string | undefined> {
  const values = {
    agent_id: entry.agent_id,
    event_id: entry.event_id ?? null,
    type: entry.type,
    payload: JSON.stringify(entry.payload),
    created_at: entry.created_at,
  };
  if (!entry.event_id) {
    const row = await db.insertInto("event_log").values(values).returning("id").executeTakeFirst();
    return row === undefined ? undefined : String(row.id);
  }
  const inserted = await db
    .insertInto("event_log")
    .values(values)
    .onConflict((oc) =>
      oc.columns(["agent_id", "event_id"]).where("event_id", "is not", null).doNothing(),
    )
    .returning("id")
    .executeTakeFirst();
  // bigint: a string from pg, a number from PGlite.
  return inserted === undefined ? undefined : String(inserted.id);
}

export interface TunnelStatusEntry {
  agent_id: string;
  event_id: string | null;
  payload: Record<string, unknown>;
  created_at: Date;
  status: string;
  version: string | null;
}

/**
 * Connector status reports (`tunnel_status`), any number at once: each is appended to the event
 * log, and each agent's tunnel row (if it has one) takes the last new report of the batch, a
 * connector state that differs from the row's is recorded as a change (the stream's `connector`
 * kind), all in one statement (atomic on its own; the change insert runs last, after the row
 * updates, as the change lock requires). An entry whose `event_id` is already logged, or appears
 * earlier in the same batch, is a duplicate: `false` in its place of the answer, nothing changed.
 */
export async function appendTunnelStatuses(
  db: Executor,
  entries: TunnelStatusEntry[],
): Promise<boolean[]> {
  const key = (e: TunnelStatusEntry) => `${e.agent_id}\u0000${e.event_id}`;
  // A repeat of an event_id earlier in this batch: only the first occurrence goes to the database.
  const seen = new Set<string>();
  const repeat = entries.map((e) => {
    if (e.event_id === null) return false;
    if (seen.has(key(e))) return true;
    seen.add(key(e));
    return false;
  });
  const unique = entries.filter((_, i) => !repeat[i]);
  const column = <T>(pick: (e: TunnelStatusEntry) => T) => unique.map(pick);
  const result = await sql<{ agent_id: string; event_id: string }>`
    with input as (
      select * from unnest(
        ${column((e) => e.agent_id)}::text[], ${column((e) => e.event_id)}::text[],
        ${column((e) => JSON.stringify(e.payload))}::text[],
        ${column((e) => e.created_at.toISOString())}::timestamptz[],
        ${column((e) => e.status)}::text[], ${column((e) => e.version)}::text[]
      ) with ordinality as i(agent_id, event_id, payload, created_at, status, version, ord)
    ), logged as (
      insert into event_log (agent_id, event_id, type, payload, created_at)
      select agent_id, event_id, 'tunnel_status', payload::jsonb, created_at from input order by ord
      on conflict (agent_id, event_id) where event_id is not null do nothing
      returning agent_id, event_id
    ), latest as (
      select distinct on (i.agent_id) i.agent_id, i.status, i.version, i.created_at
      from input i
      where i.event_id is null
        or exists (select from logged l where l.agent_id = i.agent_id and l.event_id = i.event_id)
      order by i.agent_id, i.ord desc
    ), updated as (
      update tunnels t set connector_status = latest.status,
        connector_version = latest.version, updated_at = latest.created_at
      from latest join tunnels old on old.agent_id = latest.agent_id
      where t.agent_id = latest.agent_id
      returning t.agent_id, latest.status, latest.version, latest.created_at,
        (old.connector_status is distinct from latest.status
          or old.connector_version is distinct from latest.version) as differs
    ), noted as (
      -- The sort reads every update before the first insert: the change lock the insert takes
      -- must come after all the row locks of this statement.
      insert into changes (created_at, body)
      select created_at, jsonb_build_object('kind', 'connector', 'action', 'changed',
        'agent_id', agent_id, 'connector_status', status, 'connector_version', version)
      from (select * from updated order by agent_id) u where differs
    )
    select agent_id, event_id from logged where event_id is not null`.execute(db);
  const fresh = new Set(result.rows.map((r) => `${r.agent_id}\u0000${r.event_id}`));
  return entries.map((e, i) => e.event_id === null || (!repeat[i] && fresh.has(key(e))));
}

export function listEvents(db: Executor, filter: { agentId?: string; type?: string } = {}) {
  let query = db.selectFrom("event_log").selectAll();
  if (filter.agentId) query = query.where("agent_id", "=", filter.agentId);
  if (filter.type) query = query.where("type", "=", filter.type);
  return query.orderBy("id").execute();
}

export interface ActivityFilter {
  type?: string | undefined;
  agentId?: string | undefined;
  /** Case-insensitive substring of the type, the agent id or the payload's JSON text. */
  text?: string | undefined;
}

/** One page of the event log, newest first (`limit` + 1 rows); the sort key is `[id]`. */
export function listActivityPage(
  db: Executor,
  filter: ActivityFilter,
  page: PageRequest,
): Promise<EventLogRow[]> {
  let query = db.selectFrom("event_log").selectAll();
  if (filter.type) query = query.where("type", "=", filter.type);
  if (filter.agentId) query = query.where("agent_id", "=", filter.agentId);
  if (filter.text) {
    const needle = filter.text;
    query = query.where(
      sql<boolean>`(strpos(lower(type), lower(${needle})) > 0
        or strpos(lower(coalesce(agent_id, '')), lower(${needle})) > 0
        or strpos(lower(payload::text), lower(${needle})) > 0)`,
    );
  }
  const [id] = page.after ?? [];
  if (id !== undefined) {
    if (!/^\d{1,19}$/.test(id)) throw new InvalidCursorError();
    query = query.where("id", "<", id);
  }
  return query
    .orderBy("id", "desc")
    .limit(page.limit + 1)
    .execute();
}
