import type { StreamChange } from "@dockflow/protocol";
import { sql } from "kysely";
import type { ChangeRow } from "../schema.ts";
import type { Executor } from "./executor.ts";

type WithoutIdAndAt<T> = T extends unknown ? Omit<T, "id" | "at"> : never;

/** A change as its writer records it: the stream adds `id` (drawn at insert) and `at`. */
export type ChangeInput = WithoutIdAndAt<StreamChange>;

/**
 * Records changes (one statement). Call it last in the transaction that made them: the insert
 * trigger takes the lock that keeps change ids in commit order, held until that commit, and
 * announces each id on the changes channel when the transaction commits.
 */
export async function recordChanges(
  db: Executor,
  at: Date,
  changes: readonly ChangeInput[],
): Promise<void> {
  if (changes.length === 0) return;
  await db
    .insertInto("changes")
    .values(changes.map((change) => ({ created_at: at, body: JSON.stringify(change) })))
    .execute();
}

/** The changes after `afterId`, oldest first, at most `limit`. */
export function readChangesAfter(
  db: Executor,
  afterId: string,
  limit: number,
): Promise<ChangeRow[]> {
  return db
    .selectFrom("changes")
    .selectAll()
    .where("id", ">", afterId)
    .orderBy("id")
    .limit(limit)
    .execute();
}

/** The newest change id ("0" before the first change). */
export async function latestChangeId(db: Executor): Promise<string> {
  const row = await sql<{
    id: string;
  }>`select coalesce(max(id), 0)::text as id from changes`.execute(db);
  return row.rows[0]?.id ?? "0";
}

/** Changes up to this id were pruned. */
export async function prunedThrough(db: Executor): Promise<string> {
  const row = await db.selectFrom("changes_pruned").select("through").executeTakeFirst();
  return String(row?.through ?? "0");
}

/** Deletes changes recorded before `before` and moves the pruned mark; returns how many. */
export async function pruneChanges(db: Executor, before: Date): Promise<number> {
  const result = await sql<{ count: string }>`
    with pruned as (delete from changes where created_at < ${before} returning id),
    marked as (
      update changes_pruned set through = greatest(through, (select max(id) from pruned))
      where exists (select from pruned)
    )
    select count(*)::text as count from pruned`.execute(db);
  return Number(result.rows[0]?.count ?? 0);
}

/** A stored change as the stream sends it. */
export function streamChange(row: ChangeRow): StreamChange {
  return { id: String(row.id), at: row.created_at.toISOString(), ...row.body } as StreamChange;
}
