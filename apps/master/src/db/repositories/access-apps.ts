import type { AccessAppRow } from "../schema.ts";
import type { Executor } from "./executor.ts";

export function listAccessApps(db: Executor): Promise<AccessAppRow[]> {
  return db.selectFrom("access_apps").selectAll().orderBy("rule_key").execute();
}

export async function upsertAccessApp(db: Executor, row: AccessAppRow): Promise<void> {
  const { rule_key: _key, ...fields } = row;
  await db
    .insertInto("access_apps")
    .values(row)
    .onConflict((oc) => oc.column("rule_key").doUpdateSet(fields))
    .execute();
}

export async function deleteAccessApp(db: Executor, ruleKey: string): Promise<void> {
  await db.deleteFrom("access_apps").where("rule_key", "=", ruleKey).execute();
}
