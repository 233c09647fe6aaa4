import { sql } from "kysely";
import type { PageRequest } from "../../services/pagination.ts";
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

export interface RuleFilter {
  agentId?: string | undefined;
  state?: RulesTable["state"] | undefined;
  /** Case-insensitive substring of the hostname. */
  hostnameContains?: string | undefined;
}

/** One page of rules by hostname and path (`limit` + 1 rows). */
export function listRulesPage(
  db: Executor,
  filter: RuleFilter,
  page: PageRequest,
): Promise<RuleRow[]> {
  let query = db.selectFrom("rules").selectAll();
  if (filter.agentId) query = query.where("agent_id", "=", filter.agentId);
  if (filter.state) query = query.where("state", "=", filter.state);
  if (filter.hostnameContains) {
    query = query.where(
      sql<boolean>`strpos(lower(hostname), lower(${filter.hostnameContains})) > 0`,
    );
  }
  const [hostname, path] = page.after ?? [];
  if (hostname !== undefined && path !== undefined) {
    query = query.where((eb) => eb(eb.refTuple("hostname", "path"), ">", eb.tuple(hostname, path)));
  }
  return query
    .orderBy("hostname")
    .orderBy("path")
    .limit(page.limit + 1)
    .execute();
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

/** Rules per agent, of every agent or of those named. */
export async function countRulesByAgent(
  db: Executor,
  agentIds?: string[],
): Promise<Map<string, number>> {
  if (agentIds?.length === 0) return new Map();
  let query = db.selectFrom("rules").select(["agent_id", db.fn.countAll<string>().as("count")]);
  if (agentIds) query = query.where("agent_id", "in", agentIds);
  const rows = await query.groupBy("agent_id").execute();
  return new Map(rows.map((r) => [r.agent_id, Number(r.count)]));
}
