import type { AgentView } from "@dockflow/protocol";
import type { Kysely } from "kysely";
import type { Logger } from "pino";
import { getAgents, markSilentAgentsOffline } from "../db/repositories/agents.ts";
import { pruneChanges } from "../db/repositories/changes.ts";
import { appendEvent } from "../db/repositories/event-log.ts";
import type { Executor } from "../db/repositories/executor.ts";
import type { AgentRow, Database } from "../db/schema.ts";
import { withChanges } from "./change-set.ts";

export interface SweeperOptions {
  db: Kysely<Database>;
  clock: () => Date;
  logger: Logger;
  offlineAfterMs: number;
  /** How long recorded changes stay available to resuming stream clients. */
  changeRetentionMs: number;
  /** The operator's views of agents (AgentService.views), for the change stream. */
  views: (db: Executor, rows: AgentRow[]) => Promise<AgentView[]>;
  /** Drops console sessions that ended (SessionService.prune). */
  pruneSessions: () => Promise<number>;
  /** Called when some rule's grace period has ended (the reconciler removes it). */
  onGraceExpired: () => void;
}

/**
 * The background sweep: marks agents offline after a silence (the way back online is recorded when
 * they heartbeat or register again), notices grace periods that ended, and prunes old changes and
 * ended sessions.
 */
export class Sweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: SweeperOptions) {}

  /** One sweep; returns the agents it marked offline. */
  async sweep(): Promise<string[]> {
    const { db, clock, logger, offlineAfterMs } = this.options;
    const at = clock();
    const offline = await withChanges(db, at, async (tx, changes) => {
      const ids = await markSilentAgentsOffline(tx, new Date(at.getTime() - offlineAfterMs), at);
      for (const id of ids) {
        await appendEvent(tx, {
          agent_id: id,
          type: "agent_offline",
          payload: { silent_for_seconds: Math.round(offlineAfterMs / 1000) },
          created_at: at,
        });
      }
      const views = await this.options.views(tx, await getAgents(tx, ids));
      changes.add(
        ...views.map((agent) => ({ kind: "agent" as const, action: "offline" as const, agent })),
      );
      return ids;
    });
    for (const id of offline) logger.info({ agent_id: id }, "agent offline");
    const expired = await db
      .selectFrom("rules")
      .select("rule_key")
      .where("state", "=", "grace")
      .where("grace_until", "<=", at)
      .limit(1)
      .executeTakeFirst();
    if (expired) this.options.onGraceExpired();
    const pruned = await pruneChanges(db, new Date(at.getTime() - this.options.changeRetentionMs));
    const sessions = await this.options.pruneSessions();
    if (pruned > 0 || sessions > 0) logger.debug({ changes: pruned, sessions }, "pruned");
    return offline;
  }

  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      this.running = this.sweep().catch((error: Error) =>
        this.options.logger.warn({ err: { message: error.message } }, "sweep failed"),
      );
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
