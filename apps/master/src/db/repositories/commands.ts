import { sql } from "kysely";
import type { CommandRow } from "../schema.ts";
import type { Executor } from "./executor.ts";

export interface NewCommand {
  id: string;
  agent_id: string;
  action: string;
  payload: Record<string, unknown>;
  created_at: Date;
}

export async function insertCommands(db: Executor, commands: NewCommand[]): Promise<void> {
  if (commands.length === 0) return;
  await db
    .insertInto("commands")
    .values(
      commands.map((c) => ({
        id: c.id,
        agent_id: c.agent_id,
        action: c.action,
        payload: JSON.stringify(c.payload),
        created_at: c.created_at,
        visible_at: c.created_at,
      })),
    )
    .execute();
}

/**
 * Claims the agent's deliverable commands: unacknowledged, visible now, oldest first. Claimed rows
 * become invisible for `visibilityMs`; rows another transaction holds are skipped (SKIP LOCKED), so
 * two masters polling at once never hand one command to two pollers.
 */
export async function claimCommands(
  db: Executor,
  agentId: string,
  now: Date,
  visibilityMs: number,
  limit: number,
): Promise<CommandRow[]> {
  const visibleAt = new Date(now.getTime() + visibilityMs);
  const result = await sql<CommandRow>`
    update commands set visible_at = ${visibleAt}, delivery_count = delivery_count + 1,
      last_delivered_at = ${now}
    where id in (
      select id from commands
      where agent_id = ${agentId} and acked_at is null and visible_at <= ${now}
      order by seq
      limit ${limit}
      for update skip locked
    )
    returning *`.execute(db);
  return result.rows.sort((a, b) => Number(BigInt(a.seq) - BigInt(b.seq)));
}

/** The earliest instant one of the agent's unacknowledged commands becomes deliverable. */
export async function nextVisibleAt(db: Executor, agentId: string): Promise<Date | undefined> {
  const row = await db
    .selectFrom("commands")
    .select((eb) => eb.fn.min("visible_at").as("next"))
    .where("agent_id", "=", agentId)
    .where("acked_at", "is", null)
    .executeTakeFirst();
  return row?.next ?? undefined;
}

export function getCommand(db: Executor, id: string): Promise<CommandRow | undefined> {
  return db.selectFrom("commands").selectAll().where("id", "=", id).executeTakeFirst();
}

/**
 * Records the agent's acknowledgement. The token a start_tunnel carried is dropped from the stored
 * payload once acknowledged: it is not needed any more and should not sit at rest.
 */
export async function acknowledgeCommand(
  db: Executor,
  id: string,
  ack: { success: boolean; result: Record<string, unknown> | null; error: string | null; at: Date },
): Promise<void> {
  await sql`
    update commands set acked_at = ${ack.at}, success = ${ack.success},
      result = ${ack.result === null ? null : JSON.stringify(ack.result)}::jsonb,
      error = ${ack.error}, payload = payload - 'token'
    where id = ${id} and acked_at is null`.execute(db);
}

export async function countPendingCommands(db: Executor, agentId: string): Promise<number> {
  const row = await db
    .selectFrom("commands")
    .select((eb) => eb.fn.countAll<string>().as("count"))
    .where("agent_id", "=", agentId)
    .where("acked_at", "is", null)
    .executeTakeFirst();
  return Number(row?.count ?? 0);
}

export async function deleteCommandsOfAgent(db: Executor, agentId: string): Promise<void> {
  await db.deleteFrom("commands").where("agent_id", "=", agentId).execute();
}
