import type { SessionInfo } from "@dockflow/protocol";
import type { Kysely } from "kysely";
import { hashKey, randomId, secretsEqual } from "../auth/secrets.ts";
import * as sessions from "../db/repositories/sessions.ts";
import type { Database, SessionRow } from "../db/schema.ts";

export interface SessionServiceOptions {
  db: Kysely<Database>;
  clock: () => Date;
  adminToken: string;
  ttlMs: number;
}

/** A session just opened: the id goes into the cookie, the rest to the page. */
export interface OpenedSession extends SessionInfo {
  sessionId: string;
}

/** The operator console's sign-in: admin sessions kept in the database as hashes of their ids. */
export class SessionService {
  constructor(private readonly options: SessionServiceOptions) {}

  /** A new admin session for the admin token; undefined for any other token. */
  async open(token: string): Promise<OpenedSession | undefined> {
    if (!secretsEqual(token, this.options.adminToken)) return undefined;
    const at = this.options.clock();
    const sessionId = randomId("", 32);
    const csrf = randomId("", 24);
    const expires = new Date(at.getTime() + this.options.ttlMs);
    await sessions.insertSession(this.options.db, {
      id_hash: hashKey(sessionId),
      csrf_token: csrf,
      created_at: at,
      expires_at: expires,
    });
    return { sessionId, csrf_token: csrf, expires_at: expires.toISOString() };
  }

  /** The live session behind a cookie value, if any. */
  find(sessionId: string): Promise<SessionRow | undefined> {
    return sessions.findLiveSession(this.options.db, hashKey(sessionId), this.options.clock());
  }

  /** Whether `header` is the session's CSRF token (compared in constant time). */
  csrfMatches(session: SessionRow, header: string | undefined): boolean {
    return header !== undefined && secretsEqual(header, session.csrf_token);
  }

  async revoke(session: SessionRow): Promise<void> {
    await sessions.revokeSession(this.options.db, session.id_hash, this.options.clock());
  }

  /** Drops sessions that ended a while ago (called by the sweeper). */
  prune(): Promise<number> {
    const dayAgo = new Date(this.options.clock().getTime() - 24 * 3600_000);
    return sessions.deleteEndedSessions(this.options.db, dayAgo);
  }
}

export const infoOf = (session: SessionRow): SessionInfo => ({
  csrf_token: session.csrf_token,
  expires_at: session.expires_at.toISOString(),
});
