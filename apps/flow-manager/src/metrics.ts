import { ContainerState } from "@dockflow/protocol";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** The flow manager's own counters (docs/observability.md), registered in the registry it is given. */
export function createFlowMetrics(registry: Registry) {
  const registers = [registry];
  return {
    messagesRelayed: new Counter({
      name: "dockflow_flow_messages_relayed_total",
      help: "Client messages written to a flow container's socket (send_message answered with message_sent)",
      registers,
    }),
    relayDuration: new Histogram({
      name: "dockflow_flow_relay_duration_seconds",
      help: "Time from a send_message to the container's final reply (result or error)",
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    errors: new Counter({
      name: "dockflow_flow_errors_total",
      help: "error events sent to clients, by error_type and operation (unknown: an unknown event name)",
      labelNames: ["error_type", "operation"] as const,
      registers,
    }),
    crashes: new Counter({
      name: "dockflow_flow_crashes_total",
      help: "Managed containers that died without being asked to stop",
      registers,
    }),
    recoveryRestarts: new Counter({
      name: "dockflow_flow_recovery_restarts_total",
      help: "Crashed containers restarted by crash recovery",
      registers,
    }),
  };
}

export type FlowMetrics = ReturnType<typeof createFlowMetrics>;

export interface FlowGaugeSources {
  /** The state of every managed container now (the status store). */
  containerStates(): Iterable<ContainerState>;
  clients(): number;
  logStreams(): number;
  execSessions(): number;
}

/** Managed containers per state, every state present (0 when none). */
export function countByState(states: Iterable<ContainerState>): Map<ContainerState, number> {
  const counts = new Map(ContainerState.options.map((state) => [state, 0]));
  for (const state of states) counts.set(state, (counts.get(state) ?? 0) + 1);
  return counts;
}

/** Gauges read on each scrape from the parts that own the numbers. */
export function registerFlowGauges(registry: Registry, sources: FlowGaugeSources): void {
  const registers = [registry];
  new Gauge({
    name: "dockflow_flow_containers",
    help: "Containers managed by this flow manager, by Docker state",
    labelNames: ["state"] as const,
    registers,
    collect() {
      for (const [state, count] of countByState(sources.containerStates())) {
        this.set({ state }, count);
      }
    },
  });
  const single = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read());
      },
    });
  single("dockflow_flow_clients", "Socket.IO clients connected now", sources.clients);
  single(
    "dockflow_flow_log_streams",
    "Live log subscriptions (one per client and container followed)",
    sources.logStreams,
  );
  single("dockflow_flow_exec_sessions", "Exec sessions open now", sources.execSessions);
}
