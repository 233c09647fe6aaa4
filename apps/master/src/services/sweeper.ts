import type { Kysely } from "kysely";
import type { Logger } from "pino";
import { markSilentAgentsOffline } from "../db/repositories/agents.ts";
import { appendEvent } from "../db/repositories/event-log.ts";
import type { Database } from "../db/schema.ts";

export interface SweeperOptions {
  db: Kysely<Database>;
  clock: () => Date;
  logger: Logger;
  offlineAfterMs: number;
  /** Called when some rule's grace period has ended (the reconciler removes it). */
  onGraceExpired: () => void;
}

/**
 * The background sweep: marks agents offline after a silence (the way back online is recorded when
 * they heartbeat or register again) and notices grace periods that ended.
 */
export class Sweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: SweeperOptions) {}

  /** One sweep; returns the agents it marked offline. */
  async sweep(): Promise<string[]> {
    const { db, clock, logger, offlineAfterMs } = this.options;
    const at = clock();
    const offline = await db.transaction().execute(async (tx) => {
      const ids = await markSilentAgentsOffline(tx, new Date(at.getTime() - offlineAfterMs), at);
      for (const id of ids) {
        await appendEvent(tx, {
          agent_id: id,
          type: "agent_offline",
          payload: { silent_for_seconds: Math.round(offlineAfterMs / 1000) },
          created_at: at,
        });
      }
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
