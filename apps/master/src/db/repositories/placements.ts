import type { Executor } from "./executor.ts";

/**
 * Replaces an agent's placements with `counts` (source -> running tasks on its node); returns the
 * sources whose count changed (added, removed or different).
 */
export async function replacePlacements(
  db: Executor,
  agentId: string,
  counts: Map<string, number>,
  at: Date,
): Promise<string[]> {
  const before = await db
    .selectFrom("placements")
    .select(["source", "count"])
    .where("agent_id", "=", agentId)
    .forUpdate()
    .execute();
  const changed = new Set<string>();
  for (const row of before) if (counts.get(row.source) !== row.count) changed.add(row.source);
  for (const source of counts.keys()) {
    if (!before.some((row) => row.source === source)) changed.add(source);
  }
  if (changed.size === 0) return [];
  await db.deleteFrom("placements").where("agent_id", "=", agentId).execute();
  if (counts.size > 0) {
    await db
      .insertInto("placements")
      .values(
        [...counts].map(([source, count]) => ({
          agent_id: agentId,
          source,
          count,
          updated_at: at,
        })),
      )
      .execute();
  }
  return [...changed];
}

/** Running tasks of `source` on the nodes of online agents. */
export async function onlineReplicas(db: Executor, source: string): Promise<number> {
  const row = await db
    .selectFrom("placements")
    .innerJoin("agents", "agents.id", "placements.agent_id")
    .select((eb) => eb.fn.sum<string | number>("placements.count").as("total"))
    .where("placements.source", "=", source)
    .where("agents.status", "=", "online")
    .executeTakeFirst();
  return Number(row?.total ?? 0);
}
