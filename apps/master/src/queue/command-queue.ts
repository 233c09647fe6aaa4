import type { Command, CommandInput } from "@dockflow/protocol";
import type { Kysely } from "kysely";
import { randomId } from "../auth/secrets.ts";
import type { DatabaseNotifier } from "../db/notifier.ts";
import * as commands from "../db/repositories/commands.ts";
import type { Executor } from "../db/repositories/executor.ts";
import type { CommandRow, Database } from "../db/schema.ts";
import type { MasterMetrics } from "../metrics.ts";
import { ackDecision, pollWaitMs } from "./decisions.ts";

export interface CommandQueueOptions {
  db: Kysely<Database>;
  notifier: DatabaseNotifier;
  clock: () => Date;
  visibilityTimeoutMs: number;
  metrics: MasterMetrics;
  /** Most commands handed out by one poll. */
  batchSize?: number;
  /** How often a waiting poll re-checks by itself while the notifier is down. */
  fallbackRecheckMs?: number;
}

/**
 * The per-agent command queue: at-least-once delivery. A delivered command stays invisible for the
 * visibility timeout and is delivered again unless the agent acknowledged it by id.
 */
export class CommandQueue {
  private readonly closing = new AbortController();
  private readonly waiters = new Map<string, number>();

  constructor(private readonly options: CommandQueueOptions) {}

  /** Inserts commands in the caller's transaction; call `committed` with the ids after commit. */
  async enqueueIn(tx: Executor, agentId: string, inputs: CommandInput[]): Promise<string[]> {
    const now = this.options.clock();
    const rows = inputs.map((input) => ({
      id: randomId("cmd_"),
      agent_id: agentId,
      action: input.action,
      payload: input as Record<string, unknown>,
      created_at: now,
    }));
    await commands.insertCommands(tx, rows);
    await this.options.notifier.notifyInTransaction(tx, [agentId]);
    for (const row of rows) this.options.metrics.commandsQueued.inc({ action: row.action });
    return rows.map((r) => r.id);
  }

  /** Wakes pollers once the enqueuing transaction is committed. */
  committed(agentIds: string[]): void {
    this.options.notifier.notifyCommitted(agentIds);
  }

  async enqueue(agentId: string, inputs: CommandInput[]): Promise<string[]> {
    const ids = await this.options.db
      .transaction()
      .execute((tx) => this.enqueueIn(tx, agentId, inputs));
    this.committed([agentId]);
    return ids;
  }

  /** Claims what is deliverable now, without waiting. */
  async claim(agentId: string): Promise<Command[]> {
    const rows = await commands.claimCommands(
      this.options.db,
      agentId,
      this.options.clock(),
      this.options.visibilityTimeoutMs,
      this.options.batchSize ?? 100,
    );
    const { commandsDelivered, commandsRedelivered } = this.options.metrics;
    for (const row of rows) {
      (row.delivery_count > 1 ? commandsRedelivered : commandsDelivered).inc({
        action: row.action,
      });
    }
    return rows.map(toCommand);
  }

  /**
   * Long poll: answers as soon as commands are deliverable, or with nothing after `waitMs`. Wakes on
   * the notifier, and on its own when an unacknowledged command's visibility timeout runs out.
   */
  async poll(agentId: string, waitMs: number, signal?: AbortSignal): Promise<Command[]> {
    const started = Date.now();
    let woken = false;
    let wake: (() => void) | undefined;
    const unsubscribe = this.options.notifier.subscribe(agentId, () => {
      woken = true;
      wake?.();
    });
    const abort = () => wake?.();
    signal?.addEventListener("abort", abort);
    this.closing.signal.addEventListener("abort", abort);
    try {
      for (;;) {
        woken = false;
        const claimed = await this.claim(agentId);
        const remaining = waitMs - (Date.now() - started);
        if (
          claimed.length > 0 ||
          remaining <= 0 ||
          signal?.aborted ||
          this.closing.signal.aborted
        ) {
          return claimed;
        }
        const timeout = pollWaitMs({
          remainingMs: remaining,
          nextVisibleAt: await commands.nextVisibleAt(this.options.db, agentId),
          now: this.options.clock(),
          notifierHealthy: this.options.notifier.healthy(),
          fallbackRecheckMs: this.options.fallbackRecheckMs ?? 2_000,
        });
        if (woken) continue;
        this.waiters.set(agentId, this.waiting(agentId) + 1);
        try {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(done, timeout);
            function done() {
              clearTimeout(timer);
              resolve();
            }
            wake = done;
          });
        } finally {
          wake = undefined;
          const left = this.waiting(agentId) - 1;
          if (left > 0) this.waiters.set(agentId, left);
          else this.waiters.delete(agentId);
        }
      }
    } finally {
      unsubscribe();
      signal?.removeEventListener("abort", abort);
      this.closing.signal.removeEventListener("abort", abort);
    }
  }

  /** How many long polls wait for the agent right now (observability and tests). */
  waiting(agentId: string): number {
    return this.waiters.get(agentId) ?? 0;
  }

  /** Records an acknowledgement; the command must belong to the agent. */
  async acknowledge(
    agentId: string,
    ack: { command_id: string; success: boolean; result?: Record<string, unknown>; error?: string },
    db: Executor = this.options.db,
  ): Promise<"acknowledged" | "already_acknowledged" | "unknown"> {
    const command = await commands.getCommand(db, ack.command_id);
    const decision = ackDecision(command, agentId);
    if (decision !== "acknowledge") return decision;
    await commands.acknowledgeCommand(db, ack.command_id, {
      success: ack.success,
      result: ack.result ?? null,
      error: ack.error ?? null,
      at: this.options.clock(),
    });
    this.options.metrics.commandsAcknowledged.inc({ success: String(ack.success) });
    return "acknowledged";
  }

  /** Ends every waiting poll (they answer with no commands). */
  close(): void {
    this.closing.abort();
  }
}

function toCommand(row: CommandRow): Command {
  return { ...row.payload, id: row.id, timestamp: row.created_at.toISOString() } as Command;
}
