import type { PageRequest } from "../../services/pagination.ts";
import type { TunnelRow, TunnelsTable } from "../schema.ts";
import type { Executor } from "./executor.ts";

export function getTunnel(db: Executor, agentId: string): Promise<TunnelRow | undefined> {
  return db.selectFrom("tunnels").selectAll().where("agent_id", "=", agentId).executeTakeFirst();
}

export function listTunnels(db: Executor): Promise<TunnelRow[]> {
  return db.selectFrom("tunnels").selectAll().orderBy("agent_id").execute();
}

/** One page of tunnels by agent id (`limit` + 1 rows). */
export function listTunnelsPage(db: Executor, page: PageRequest): Promise<TunnelRow[]> {
  let query = db.selectFrom("tunnels").selectAll();
  const [agentId] = page.after ?? [];
  if (agentId !== undefined) query = query.where("agent_id", ">", agentId);
  return query
    .orderBy("agent_id")
    .limit(page.limit + 1)
    .execute();
}

export function getTunnels(db: Executor, agentIds: string[]): Promise<TunnelRow[]> {
  if (agentIds.length === 0) return Promise.resolve([]);
  return db.selectFrom("tunnels").selectAll().where("agent_id", "in", agentIds).execute();
}

/** Records that the agent should have a tunnel (desired state first; Cloudflare comes later). */
export async function ensureTunnelRow(db: Executor, agentId: string, name: string, at: Date) {
  await db
    .insertInto("tunnels")
    .values({
      agent_id: agentId,
      name,
      tunnel_id: null,
      rules_sent: null,
      applied_keys: "[]",
      applied_hash: null,
      connector_status: null,
      connector_version: null,
      last_error: null,
      created_at: at,
      updated_at: at,
    })
    .onConflict((oc) => oc.column("agent_id").doNothing())
    .execute();
}

export type TunnelPatch = Partial<
  Pick<
    TunnelsTable,
    "tunnel_id" | "connector_status" | "connector_version" | "last_error" | "applied_hash"
  >
> & { rules_sent?: Record<string, unknown>; applied_keys?: string[] };

export async function updateTunnel(
  db: Executor,
  agentId: string,
  patch: TunnelPatch,
  at: Date,
): Promise<void> {
  const { rules_sent, applied_keys, ...rest } = patch;
  await db
    .updateTable("tunnels")
    .set({
      ...rest,
      ...(rules_sent !== undefined ? { rules_sent: JSON.stringify(rules_sent) } : {}),
      ...(applied_keys !== undefined ? { applied_keys: JSON.stringify(applied_keys) } : {}),
      updated_at: at,
    })
    .where("agent_id", "=", agentId)
    .execute();
}

export async function deleteTunnelRow(db: Executor, agentId: string): Promise<void> {
  await db.deleteFrom("tunnels").where("agent_id", "=", agentId).execute();
}
