import { InvalidCursorError, type PageRequest } from "../../services/pagination.ts";
import type { AgentKeyRow } from "../schema.ts";
import type { Executor } from "./executor.ts";

export function insertKey(
  db: Executor,
  key: { id: string; name: string; key_hash: string; created_at: Date },
): Promise<unknown> {
  return db.insertInto("agent_keys").values(key).execute();
}

export function findKeyByHash(db: Executor, keyHash: string): Promise<AgentKeyRow | undefined> {
  return db.selectFrom("agent_keys").selectAll().where("key_hash", "=", keyHash).executeTakeFirst();
}

export function getKey(db: Executor, id: string): Promise<AgentKeyRow | undefined> {
  return db.selectFrom("agent_keys").selectAll().where("id", "=", id).executeTakeFirst();
}

/** One page of keys, oldest first (`limit` + 1 rows); the sort key is `[created_at ISO, id]`. */
export function listKeysPage(db: Executor, page: PageRequest): Promise<AgentKeyRow[]> {
  let query = db.selectFrom("agent_keys").selectAll();
  const [createdAt, id] = page.after ?? [];
  if (createdAt !== undefined && id !== undefined) {
    const at = new Date(createdAt);
    if (Number.isNaN(at.getTime())) throw new InvalidCursorError();
    query = query.where((eb) => eb(eb.refTuple("created_at", "id"), ">", eb.tuple(at, id)));
  }
  return query
    .orderBy("created_at")
    .orderBy("id")
    .limit(page.limit + 1)
    .execute();
}

/** Binds an unbound key to an agent; false when it was bound meanwhile. */
export async function bindKey(db: Executor, id: string, agentId: string, at: Date) {
  const result = await db
    .updateTable("agent_keys")
    .set({ agent_id: agentId, last_used_at: at })
    .where("id", "=", id)
    .where("agent_id", "is", null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function touchKey(db: Executor, id: string, at: Date): Promise<void> {
  await db.updateTable("agent_keys").set({ last_used_at: at }).where("id", "=", id).execute();
}

/** Revokes a key; false when there is no such key. Revoking twice keeps the first instant. */
export async function revokeKey(db: Executor, id: string, at: Date): Promise<boolean> {
  const key = await getKey(db, id);
  if (!key) return false;
  if (!key.revoked_at) {
    await db.updateTable("agent_keys").set({ revoked_at: at }).where("id", "=", id).execute();
  }
  return true;
}

/** Revokes the agent's live keys; returns them. */
export function revokeKeysOfAgent(db: Executor, agentId: string, at: Date): Promise<AgentKeyRow[]> {
  return db
    .updateTable("agent_keys")
    .set({ revoked_at: at })
    .where("agent_id", "=", agentId)
    .where("revoked_at", "is", null)
    .returningAll()
    .execute();
}

/** Whether the agent holds a key that still works. */
export async function agentHasLiveKey(db: Executor, agentId: string): Promise<boolean> {
  const row = await db
    .selectFrom("agent_keys")
    .select("id")
    .where("agent_id", "=", agentId)
    .where("revoked_at", "is", null)
    .executeTakeFirst();
  return row !== undefined;
}
