import type { Kysely } from "kysely";
import { type ChangeInput, recordChanges } from "../db/repositories/changes.ts";
import type { Executor } from "../db/repositories/executor.ts";
import { getRulesByKeys } from "../db/repositories/rules.ts";
import type { Database } from "../db/schema.ts";
import { ruleView } from "./views.ts";

type RuleAction = "created" | "changed" | "grace";

/**
 * The changes one transaction makes, for the operators' change stream: collected while it runs
 * and recorded by `record` as its last statement (see repositories/changes.ts). Rules are noted by
 * key and recorded with their state at the end of the transaction.
 */
export class ChangeSet {
  private readonly changes: ChangeInput[] = [];
  private readonly rules = new Map<string, RuleAction>();

  add(...changes: ChangeInput[]): void {
    this.changes.push(...changes);
  }

  /** A rule was created, changed or put into grace (a rule created here stays `created`). */
  rule(ruleKey: string, action: RuleAction): void {
    if (this.rules.get(ruleKey) === "created") return;
    this.rules.set(ruleKey, action);
  }

  async record(tx: Executor, at: Date): Promise<void> {
    const rows = await getRulesByKeys(tx, [...this.rules.keys()]);
    const rules: ChangeInput[] = rows.map((row) => ({
      kind: "rule",
      action: this.rules.get(row.rule_key) ?? "changed",
      rule: ruleView(row),
    }));
    await recordChanges(tx, at, [...rules, ...this.changes]);
  }
}

/** Runs `work` in a transaction whose changes are recorded at its end. */
export function withChanges<T>(
  db: Kysely<Database>,
  at: Date,
  work: (tx: Executor, changes: ChangeSet) => Promise<T>,
): Promise<T> {
  return db.transaction().execute(async (tx) => {
    const changes = new ChangeSet();
    const result = await work(tx, changes);
    await changes.record(tx, at);
    return result;
  });
}
