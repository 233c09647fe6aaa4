import type { AgentEvent, AgentView, EventAccepted, LabelError } from "@dockflow/protocol";
import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { z } from "zod";
import { Batcher } from "../db/batcher.ts";
import * as agents from "../db/repositories/agents.ts";
import {
  appendEvent,
  appendTunnelStatuses,
  type TunnelStatusEntry,
} from "../db/repositories/event-log.ts";
import type { Executor } from "../db/repositories/executor.ts";
import type { AgentRow, Database } from "../db/schema.ts";
import { notFound } from "../http/errors.ts";
import type { MasterMetrics } from "../metrics.ts";
import type { CommandQueue } from "../queue/command-queue.ts";
import { withChanges } from "./change-set.ts";
import {
  applyContainerStart,
  applyContainerStop,
  applyStatusReport,
  type RuleContext,
} from "./rules.ts";
import { activityEntry } from "./views.ts";

export interface EventServiceOptions {
  db: Kysely<Database>;
  clock: () => Date;
  logger: Logger;
  queue: CommandQueue;
  labelPrefix: string;
  gracePeriodMs: number;
  metrics: MasterMetrics;
  /** Desired state changed: the reconciler has work. */
  onRulesChanged: () => void;
  /** The operator's views of agents (AgentService.views), for the change stream. */
  views: (db: Executor, rows: AgentRow[]) => Promise<AgentView[]>;
}

/**
 * Applies agent events. Each event is applied in one transaction together with its entry in the
 * append-only event log; an `event_id` already in the log makes the event a no-op (duplicate).
 * Heartbeats are not logged (frequent, and naturally idempotent): they only move
 * `last_heartbeat`, and an offline -> online transition is logged.
 */
export class EventService {
  /** Connector status reports, the most frequent event after heartbeats, are group-committed. */
  private readonly tunnelStatuses: Batcher<TunnelStatusEntry, boolean>;

  constructor(private readonly options: EventServiceOptions) {
    this.tunnelStatuses = new Batcher((entries) => appendTunnelStatuses(options.db, entries), {
      maxBatch: 256,
      maxInFlight: 2,
    });
  }

  async ingest(agentId: string, event: AgentEvent): Promise<z.infer<typeof EventAccepted>> {
    const accepted = await this.record(agentId, event);
    this.options.metrics.eventsIngested.inc({ type: event.type });
    return accepted;
  }

  private async record(agentId: string, event: AgentEvent): Promise<z.infer<typeof EventAccepted>> {
    const { db, clock } = this.options;
    const at = clock();
    if (event.type === "heartbeat") return this.heartbeat(agentId, at);
    if (event.type === "tunnel_status") {
      // No rules change: written together with whatever other reports arrive meanwhile.
      const fresh = await this.tunnelStatuses.submit({
        agent_id: agentId,
        event_id: event.event_id ?? null,
        payload: event as unknown as Record<string, unknown>,
        created_at: at,
        status: event.container.status,
        version: event.container.version ?? null,
      });
      return { status: "accepted", duplicate: !fresh };
    }

    const outcome = await withChanges(db, at, async (tx, changes) => {
      // No existence check here: the key that authenticated this request is bound to the agent, and
      // removing an agent revokes its keys in the same transaction.
      const entry = {
        agent_id: agentId,
        event_id: event.event_id ?? null,
        type: event.type,
        payload: event as unknown as Record<string, unknown>,
        created_at: at,
      };
      const id = await appendEvent(tx, entry);
      if (id === undefined)
        return { duplicate: true, changed: false, warnings: [] as LabelError[] };
      if (event.type !== "status_report") {
        // Periodic full reports show up through the rule changes they cause, if any.
        changes.add({ kind: "event", action: "logged", entry: activityEntry({ id, ...entry }) });
      }
      const ctx: RuleContext = {
        tx,
        changes,
        agentId,
        at,
        labelPrefix: this.options.labelPrefix,
        gracePeriodMs: this.options.gracePeriodMs,
      };
      switch (event.type) {
        case "container_start":
          return { duplicate: false, ...(await applyContainerStart(ctx, event.container)) };
        case "container_stop":
          return { duplicate: false, ...(await applyContainerStop(ctx, event.container)) };
        case "status_report":
          return {
            duplicate: false,
            ...(await applyStatusReport(ctx, event.container.containers)),
          };
        case "command_result": {
          const outcome = await this.options.queue.acknowledge(agentId, event, tx);
          if (outcome === "unknown") throw notFound("command");
          return { duplicate: false, changed: false, warnings: [] };
        }
      }
    });
    if (outcome.changed) this.options.onRulesChanged();
    if (outcome.warnings.length > 0) {
      this.options.logger.warn(
        { agent_id: agentId, type: event.type, warnings: outcome.warnings },
        "labels could not be turned into rules",
      );
    }
    return {
      status: "accepted",
      duplicate: outcome.duplicate,
      ...(outcome.warnings.length > 0 ? { warnings: outcome.warnings } : {}),
    };
  }

  /**
   * One statement for an agent that is online; an offline (or unknown) agent takes a transaction,
   * which records the transition in the event log and the change stream.
   */
  private async heartbeat(agentId: string, at: Date): Promise<z.infer<typeof EventAccepted>> {
    const { db } = this.options;
    if (await agents.touchOnlineAgent(db, agentId, at)) {
      return { status: "accepted", duplicate: false };
    }
    const previous = await withChanges(db, at, async (tx, changes) => {
      const result = await agents.recordHeartbeat(tx, agentId, at);
      if (!result) throw notFound("agent");
      if (result.previous === "offline") {
        await appendEvent(tx, {
          agent_id: agentId,
          type: "agent_online",
          payload: {},
          created_at: at,
        });
        const agent = await agents.getAgent(tx, agentId);
        if (agent) {
          const [view] = await this.options.views(tx, [agent]);
          if (view) changes.add({ kind: "agent", action: "online", agent: view });
        }
      }
      return result.previous;
    });
    if (previous === "offline") {
      this.options.logger.info({ agent_id: agentId }, "agent back online");
    }
    return { status: "accepted", duplicate: false };
  }
}
