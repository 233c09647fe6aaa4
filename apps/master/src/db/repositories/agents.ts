import { sql } from "kysely";
import type { PageRequest } from "../../services/pagination.ts";
import type { AgentRow, AgentsTable } from "../schema.ts";
import type { Executor } from "./executor.ts";

export function getAgent(db: Executor, id: string): Promise<AgentRow | undefined> {
  return db.selectFrom("agents").selectAll().where("id", "=", id).executeTakeFirst();
}

export function listAgents(db: Executor): Promise<AgentRow[]> {
  return db.selectFrom("agents").selectAll().orderBy("id").execute();
}

/** One page of agents by id (`limit` + 1 rows: see services/pagination.ts). */
export function listAgentsPage(db: Executor, page: PageRequest): Promise<AgentRow[]> {
  let query = db.selectFrom("agents").selectAll();
  const [id] = page.after ?? [];
  if (id !== undefined) query = query.where("id", ">", id);
  return query
    .orderBy("id")
    .limit(page.limit + 1)
    .execute();
}

export function getAgents(db: Executor, ids: string[]): Promise<AgentRow[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return db.selectFrom("agents").selectAll().where("id", "in", ids).execute();
}

export type AgentRegistration = Pick<
  AgentsTable,
  "display_name" | "version" | "mode" | "node_id" | "node_role" | "hostname" | "key_id"
>;

/** Creates the agent or refreshes what it says about itself; it is online from now on. */
export async function upsertAgent(
  db: Executor,
  id: string,
  registration: AgentRegistration,
  at: Date,
): Promise<{ created: boolean; wasOffline: boolean }> {
  const before = await getAgent(db, id);
  await db
    .insertInto("agents")
    .values({
      id,
      ...registration,
      status: "online",
      last_heartbeat: at,
      registered_at: at,
      updated_at: at,
    })
    .onConflict((oc) =>
      oc.column("id").doUpdateSet({
        ...registration,
        status: "online",
        last_heartbeat: at,
        updated_at: at,
      }),
    )
    .execute();
  return { created: before === undefined, wasOffline: before?.status === "offline" };
}

/** A heartbeat of an agent that is online, in one statement; false when it is offline or unknown. */
export async function touchOnlineAgent(db: Executor, id: string, at: Date): Promise<boolean> {
  const result = await sql`
    update agents set last_heartbeat = greatest(last_heartbeat, ${at}), updated_at = ${at}
    where id = ${id} and status = 'online'`.execute(db);
  return (result.numAffectedRows ?? 0n) > 0n;
}

/**
 * Records a heartbeat in one statement and says what the status was before, so the caller can
 * record an offline -> online transition. Undefined when the agent does not exist.
 */
export async function recordHeartbeat(
  db: Executor,
  id: string,
  at: Date,
): Promise<{ previous: AgentRow["status"] } | undefined> {
  const result = await sql<{ previous: AgentRow["status"] }>`
    update agents set last_heartbeat = greatest(agents.last_heartbeat, ${at}), status = 'online',
      updated_at = ${at}
    from (select id, status from agents where id = ${id} for update) as old
    where agents.id = old.id
    returning old.status as previous`.execute(db);
  return result.rows[0];
}

/** Marks silent agents offline; returns their ids. */
export async function markSilentAgentsOffline(
  db: Executor,
  silentSince: Date,
  at: Date,
): Promise<string[]> {
  const rows = await db
    .updateTable("agents")
    .set({ status: "offline", updated_at: at })
    .where("status", "=", "online")
    .where("last_heartbeat", "<", silentSince)
    .returning("id")
    .execute();
  return rows.map((r) => r.id);
}

export async function deleteAgent(db: Executor, id: string): Promise<boolean> {
  const result = await db.deleteFrom("agents").where("id", "=", id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}
