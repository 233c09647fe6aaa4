import type {
  ContainerCrashed,
  ContainerHealthWarning,
  ContainerStatus,
  ContainerStatusUpdate,
  FlowClient,
  StatusChanged,
} from "../src/index.ts";

export interface MonitorOptions {
  /** CPU and memory percentages above which a container is reported (default 80). */
  threshold?: number;
  log?: (...args: unknown[]) => void;
  warn?: (...args: unknown[]) => void;
}

export interface Monitor {
  /** The latest detailed status of each container seen, by id. */
  readonly statuses: Map<string, ContainerStatus>;
  readonly changes: StatusChanged[];
  readonly warnings: ContainerHealthWarning[];
  readonly crashes: ContainerCrashed[];
  readonly updates: ContainerStatusUpdate[];
  /** Stops listening. */
  stop(): void;
}

/** Flags what the seed's example flags: unhealthy containers and high CPU or memory. */
export function inspectStatus(
  status: ContainerStatus,
  threshold: number,
  warn: (...args: unknown[]) => void,
): string[] {
  const findings: string[] = [];
  if (status.health === "unhealthy")
    findings.push(`Container is unhealthy: ${status.container_id}`);
  const usage = status.resource_usage;
  if (usage.cpu_percent > threshold) findings.push(`High CPU usage: ${usage.cpu_percent}%`);
  if (usage.memory_percent > threshold)
    findings.push(`High memory usage: ${usage.memory_percent}%`);
  for (const finding of findings) warn(finding);
  return findings;
}

/**
 * The seed's "monitoring container status": lists the containers, fetches each one's status, and
 * follows the push events (a status change triggers a fresh status) until `stop()`.
 */
export async function monitorContainers(
  flow: FlowClient,
  { threshold = 80, log = console.log, warn = console.warn }: MonitorOptions = {},
): Promise<Monitor> {
  const statuses = new Map<string, ContainerStatus>();
  const changes: StatusChanged[] = [];
  const warnings: ContainerHealthWarning[] = [];
  const crashes: ContainerCrashed[] = [];
  const updates: ContainerStatusUpdate[] = [];

  const refresh = async (containerId: string) => {
    try {
      const status = await flow.getContainerStatus({ container_id: containerId });
      statuses.set(status.container_id, status);
      log("Container status:", status.name, status.status, status.health);
      inspectStatus(status, threshold, warn);
    } catch (error) {
      // The container may be gone by the time we ask (e.g. deleted right after a change).
      warn(`No status for ${containerId}:`, error instanceof Error ? error.message : error);
    }
  };

  const unsubscribe = [
    flow.on("status_changed", (change) => {
      changes.push(change);
      log("Container status changed:", change.name, change.old_status, "->", change.new_status);
      void refresh(change.container_id);
    }),
    flow.on("container_health_warning", (warning) => {
      warnings.push(warning);
      warn("Container health warning:", warning.name, warning.warning_type, warning.message);
    }),
    flow.on("container_crashed", (crash) => {
      crashes.push(crash);
      warn("Container crashed:", crash.name, "exit code", crash.exit_code);
      // To restart it yourself (when the manager's crash recovery is off):
      // await flow.restartContainer({ container_id: crash.container_id });
    }),
    flow.on("container_status_update", (update) => {
      updates.push(update);
      log("Container status update:", update.containers.length, "containers");
    }),
  ];

  const { containers } = await flow.listContainers({});
  log("Container list:", containers.length, "containers");
  for (const container of containers) {
    log(`Container ${container.name} (${container.id}): ${container.status}`);
  }
  await Promise.all(containers.map((c) => refresh(c.id)));

  return {
    statuses,
    changes,
    warnings,
    crashes,
    updates,
    stop: () => {
      for (const off of unsubscribe) off();
    },
  };
}
