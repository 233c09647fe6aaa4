import { type Kysely, type RawBuilder, sql } from "kysely";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { Database } from "./db/schema.ts";

/** The master's own counters (docs/observability.md), registered in the registry it is given. */
export function createMasterMetrics(registry: Registry) {
  const registers = [registry];
  return {
    commandsQueued: new Counter({
      name: "dockflow_master_commands_queued_total",
      help: "Commands queued for agents, by action",
      labelNames: ["action"] as const,
      registers,
    }),
    commandsDelivered: new Counter({
      name: "dockflow_master_commands_delivered_total",
      help: "Commands handed to an agent for the first time, by action",
      labelNames: ["action"] as const,
      registers,
    }),
    commandsRedelivered: new Counter({
      name: "dockflow_master_commands_redelivered_total",
      help: "Commands handed to an agent again after their visibility timeout ran out unacknowledged",
      labelNames: ["action"] as const,
      registers,
    }),
    commandsAcknowledged: new Counter({
      name: "dockflow_master_commands_acknowledged_total",
      help: "Command acknowledgements recorded, by success",
      labelNames: ["success"] as const,
      registers,
    }),
    eventsIngested: new Counter({
      name: "dockflow_master_events_ingested_total",
      help: "Agent events accepted (duplicates included), by event type",
      labelNames: ["type"] as const,
      registers,
    }),
    reconcileRuns: new Counter({
      name: "dockflow_master_reconcile_runs_total",
      help: "Reconcile passes, by kind (full: startup, periodic, POST /reconcile; event: after a change)",
      labelNames: ["kind"] as const,
      registers,
    }),
    reconcileFailures: new Counter({
      name: "dockflow_master_reconcile_failures_total",
      help: "Reconcile passes that ended with at least one failed step (retried with backoff)",
      labelNames: ["kind"] as const,
      registers,
    }),
    cloudflareRequests: new Counter({
      name: "dockflow_master_cloudflare_requests_total",
      help: 'HTTP attempts to the Cloudflare API, by operation (method and path template) and status (error: no answer); 429s are status="429"',
      labelNames: ["operation", "status"] as const,
      registers,
    }),
    reconcileDuration: new Histogram({
      name: "dockflow_master_reconcile_duration_seconds",
      help: "Duration of reconcile passes",
      labelNames: ["kind"] as const,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
  };
}

export type MasterMetrics = ReturnType<typeof createMasterMetrics>;

interface CountRow {
  state: string | null;
  count: string | number;
}

/** `count(*)` per state: the rows for a by-state gauge. */
async function countBy(db: Kysely<Database>, query: RawBuilder<CountRow>): Promise<CountRow[]> {
  return (await query.execute(db)).rows;
}

/** Docker container and Swarm task states: what an agent reports for its connector. */
export const CONNECTOR_STATES = [
  "created",
  "running",
  "restarting",
  "paused",
  "removing",
  "exited",
  "dead",
  "missing",
  "stopped",
  "new",
  "pending",
  "assigned",
  "accepted",
  "preparing",
  "ready",
  "starting",
  "complete",
  "shutdown",
  "failed",
  "rejected",
  "orphaned",
];

/**
 * The label value of a reported state: `unknown` when none was reported, `other` for a value
 * outside `known` (agents send free text; the label must stay bounded).
 */
export function stateLabel(state: string | null, known: readonly string[]): string {
  if (state === null) return "unknown";
  return known.includes(state) ? state : "other";
}

function setCounts(gauge: Gauge<"state">, rows: CountRow[], known: readonly string[]): void {
  gauge.reset();
  for (const state of known) gauge.set({ state }, 0);
  for (const row of rows) gauge.inc({ state: stateLabel(row.state, known) }, Number(row.count));
}

export interface MasterGaugeSources {
  db: Kysely<Database>;
  /** Clients connected to the change stream now. */
  streamClients(): number;
}

/**
 * Gauges read from the database on each scrape, one grouped count each: every master of a
 * cluster shows the same numbers.
 */
export function registerMasterGauges(registry: Registry, sources: MasterGaugeSources): void {
  const { db } = sources;
  const registers = [registry];
  new Gauge({
    name: "dockflow_master_stream_clients",
    help: "Operators' live-stream (SSE, GET /api/v2/stream) clients connected to this master",
    registers,
    collect() {
      this.set(sources.streamClients());
    },
  });
  new Gauge({
    name: "dockflow_master_agents",
    help: "Agents by state (online, offline)",
    labelNames: ["state"] as const,
    registers,
    async collect() {
      const rows = await countBy(
        db,
        sql<CountRow>`select status as state, count(*) as count from agents group by status`,
      );
      setCounts(this, rows, ["online", "offline"]);
    },
  });
  new Gauge({
    name: "dockflow_master_rules",
    help: "Routing rules by state (active, grace)",
    labelNames: ["state"] as const,
    registers,
    async collect() {
      const rows = await countBy(
        db,
        sql<CountRow>`select state, count(*) as count from rules group by state`,
      );
      setCounts(this, rows, ["active", "grace"]);
    },
  });
  new Gauge({
    name: "dockflow_master_tunnels",
    help: "Tunnels by state (created: exists at Cloudflare; pending: not created yet)",
    labelNames: ["state"] as const,
    registers,
    async collect() {
      const rows = await countBy(
        db,
        sql<CountRow>`select case when tunnel_id is null then 'pending' else 'created' end as state,
          count(*) as count from tunnels group by 1`,
      );
      setCounts(this, rows, ["created", "pending"]);
    },
  });
  new Gauge({
    name: "dockflow_master_connectors",
    help: "Tunnel connectors by the state their agent last reported (unknown: none reported yet)",
    labelNames: ["state"] as const,
    registers,
    async collect() {
      const rows = await countBy(
        db,
        sql<CountRow>`select connector_status as state, count(*) as count from tunnels
          group by connector_status`,
      );
      setCounts(this, rows, CONNECTOR_STATES);
    },
  });
}
