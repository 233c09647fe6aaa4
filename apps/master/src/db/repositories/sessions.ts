import type { SessionRow } from "../schema.ts";
import type { Executor } from "./executor.ts";

export async function insertSession(
  db: Executor,
  session: { id_hash: string; csrf_token: string; created_at: Date; expires_at: Date },
): Promise<void> {
  await db.insertInto("sessions").values(session).execute();
}

/** The session with that id hash, if it is neither revoked nor expired at `now`. */
export function findLiveSession(
  db: Executor,
  idHash: string,
  now: Date,
): Promise<SessionRow | undefined> {
  return db
    .selectFrom("sessions")
    .selectAll()
    .where("id_hash", "=", idHash)
    .where("revoked_at", "is", null)
    .where("expires_at", ">", now)
    .executeTakeFirst();
}

export async function revokeSession(db: Executor, idHash: string, at: Date): Promise<void> {
  await db
    .updateTable("sessions")
    .set({ revoked_at: at })
    .where("id_hash", "=", idHash)
    .where("revoked_at", "is", null)
    .execute();
}

/** Deletes sessions that expired (or were revoked) before `before`; returns how many. */
export async function deleteEndedSessions(db: Executor, before: Date): Promise<number> {
  const result = await db
    .deleteFrom("sessions")
    .where((eb) => eb.or([eb("expires_at", "<", before), eb("revoked_at", "<", before)]))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
