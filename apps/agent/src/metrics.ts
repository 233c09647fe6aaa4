import { Counter, Gauge, type Registry } from "prom-client";

/** The agent's own metrics (docs/observability.md), registered in the registry it is given. */
export function createAgentMetrics(registry: Registry) {
  const registers = [registry];
  return {
    statusReports: new Counter({
      name: "dockflow_agent_status_reports_total",
      help: "Status reports (the full list of workloads) queued for the master",
      registers,
    }),
    masterRequestFailures: new Counter({
      name: "dockflow_agent_master_request_failures_total",
      help: "Requests to the master that failed, by reason (unreachable, or the HTTP status class)",
      labelNames: ["reason"] as const,
      registers,
    }),
    connectorRestarts: new Counter({
      name: "dockflow_agent_connector_restarts_total",
      help: "Connector (re)starts: by a restart_tunnel command, or by the agent recovering a connector that stopped, died or vanished",
      labelNames: ["reason"] as const,
      registers,
    }),
    connectorState: new Gauge({
      name: "dockflow_agent_connector_state",
      help: "1 for the connector's last reported state (Docker container or Swarm task state), 0 for the others",
      labelNames: ["state"] as const,
      registers,
    }),
    engineEventReconnects: new Counter({
      name: "dockflow_agent_engine_event_stream_reconnects_total",
      help: "Times the Docker engine event stream connected again after it ended or failed",
      registers,
    }),
  };
}

export type AgentMetrics = ReturnType<typeof createAgentMetrics>;

/** The reason label of a failed master request: `unreachable` (no answer) or `http_4xx`/`http_5xx`. */
export function failureReason(status: number): string {
  return status === 0 ? "unreachable" : `http_${Math.floor(status / 100)}xx`;
}

/** Marks `state` as the connector's current state (one-hot over the states seen so far). */
export function setConnectorState(metrics: AgentMetrics, state: string): void {
  metrics.connectorState.reset();
  metrics.connectorState.set({ state }, 1);
}

export interface AgentGaugeSources {
  workloads(): number;
  outboxDepth(): number;
}

/** Gauges read on each scrape from the parts that own the numbers. */
export function registerAgentGauges(registry: Registry, sources: AgentGaugeSources): void {
  const registers = [registry];
  new Gauge({
    name: "dockflow_agent_workloads",
    help: "Enabled workloads currently known on this node (as reported to the master)",
    registers,
    collect() {
      this.set(sources.workloads());
    },
  });
  new Gauge({
    name: "dockflow_agent_outbox_events",
    help: "Events waiting in the outbox for the master",
    registers,
    collect() {
      this.set(sources.outboxDepth());
    },
  });
}
