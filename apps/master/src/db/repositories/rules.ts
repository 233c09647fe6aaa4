import type { NewRule, RuleRow, RulesTable } from "../schema.ts";
import type { Executor } from "./executor.ts";

export function listRules(
  db: Executor,
  filter: { agentId?: string | undefined; state?: RulesTable["state"] | undefined } = {},
): Promise<RuleRow[]> {
  let query = db.selectFrom("rules").selectAll();
  if (filter.agentId) query = query.where("agent_id", "=", filter.agentId);
  if (filter.state) query = query.where("state", "=", filter.state);
  return query.orderBy("hostname").orderBy("path").execute();
}

export function getRulesByKeys(db: Executor, keys: string[]): Promise<RuleRow[]> {
  if (keys.length === 0) return Promise.resolve([]);
  return db.selectFrom("rules").selectAll().where("rule_key", "in", keys).forUpdate().execute();
}

/** Rules that came from a source (a Swarm service or a container name), on any agent. */
export function getRulesBySource(db: Executor, source: string): Promise<RuleRow[]> {
  return db.selectFrom("rules").selectAll().where("source", "=", source).execute();
}

export async function insertRule(db: Executor, rule: NewRule): Promise<void> {
  await db.insertInto("rules").values(rule).execute();
}

export async function updateRule(
  db: Executor,
  ruleKey: string,
  patch: Partial<Omit<NewRule, "rule_key" | "created_at">>,
): Promise<void> {
  await db.updateTable("rules").set(patch).where("rule_key", "=", ruleKey).execute();
}

/** Deletes rules whose grace period ended; returns them. */
export function deleteExpiredRules(db: Executor, now: Date): Promise<RuleRow[]> {
  return db
    .deleteFrom("rules")
    .where("state", "=", "grace")
    .where("grace_until", "<=", now)
    .returningAll()
    .execute();
}

export function deleteRulesOfAgent(db: Executor, agentId: string): Promise<RuleRow[]> {
  return db.deleteFrom("rules").where("agent_id", "=", agentId).returningAll().execute();
}

export async function countRulesByAgent(db: Executor): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom("rules")
    .select(["agent_id", db.fn.countAll<string>().as("count")])
    .groupBy("agent_id")
    .execute();
  return new Map(rows.map((r) => [r.agent_id, Number(r.count)]));
}
