import type { ResourceUsage } from "@dockflow/protocol";
import type { Logger } from "pino";
import type { ActivityLog } from "./activity-log.ts";
import type { ClientRegistry } from "./clients.ts";
import type { ConnectionPool } from "./connections.ts";
import type { CrashRecovery } from "./crash-recovery.ts";
import { judgeDeath } from "./death.ts";
import type { DockerAdapter } from "./docker.ts";
import { FlowError } from "./errors.ts";
import type { DockerEvent } from "./event-watcher.ts";
import type { StatsStreams } from "./stats.ts";
import {
  type StatusStore,
  summaryOf,
  type TrackedContainer,
  uptimeSeconds,
} from "./status-store.ts";
import { type UsageWarning, usageWarnings, type WarnThresholds } from "./usage-warnings.ts";

export type MonitorOptions = WarnThresholds;

/**
 * Keeps the status store in step with Docker (events, inspect, stats) and pushes what clients
 * are told unasked: status_changed, container_crashed, container_health_warning and the
 * periodic bulk container_status_update.
 */
export class Monitor {
  /** Per-container queue, so event handling for one container happens in order. */
  private readonly queues = new Map<string, Promise<void>>();
  /** Stops the manager was asked for (id -> expiry): their `die` is not a crash. */
  private readonly expectedStops = new Map<string, number>();
  private readonly warned = new Map<string, { cpu: boolean; memory: boolean }>();
  /** The FinishedAt of the last death handled per container. */
  private readonly deaths = new Map<string, string>();
  private statusTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly docker: DockerAdapter,
    private readonly store: StatusStore,
    private readonly stats: StatsStreams,
    private readonly pool: ConnectionPool,
    private readonly recovery: CrashRecovery,
    private readonly clients: ClientRegistry,
    private readonly activity: ActivityLog,
    private readonly options: MonitorOptions,
    private readonly log: Logger,
  ) {}

  /** Marks a stop/restart/delete the manager is about to do, so its `die` is not a crash. */
  expectStop(id: string, timeoutSeconds: number): void {
    this.expectedStops.set(id, Date.now() + (timeoutSeconds + 60) * 1000);
  }

  clearExpectedStop(id: string): void {
    this.expectedStops.delete(id);
  }

  private consumeExpectedStop(id: string): boolean {
    const until = this.expectedStops.get(id);
    this.expectedStops.delete(id);
    return until !== undefined && until >= Date.now();
  }

  /**
   * Re-reads a container from Docker into the store (in order with its events). With
   * `detectDeath`, a running container found stopped is handled as a death (the resync after an
   * event-stream outage: its `die` event may never come).
   */
  refresh(id: string, detectDeath = false): Promise<TrackedContainer | undefined> {
    let result: TrackedContainer | undefined;
    return this.enqueue(id, async () => {
      const before = this.store.get(id)?.state;
      result = await this.refreshNow(id);
      const alive = before === "running" || before === "restarting" || before === "paused";
      if (
        detectDeath &&
        result &&
        alive &&
        (result.state === "exited" || result.state === "dead")
      ) {
        this.onDie(result, null);
      }
    }).then(() => result);
  }

  /** Lists this manager's containers and brings the store in line (start, reconnect). */
  async resync(): Promise<void> {
    const ids = new Set(await this.docker.listManaged());
    await Promise.all([...ids].map((id) => this.refresh(id, true)));
    for (const c of this.store.all()) {
      if (!ids.has(c.id)) this.forget(c.id);
    }
  }

  onDockerEvent(event: DockerEvent): void {
    const id = event.Actor.ID;
    const action = event.Action;
    if (
      action.startsWith("exec_") ||
      action === "attach" ||
      action === "resize" ||
      action === "top"
    ) {
      return;
    }
    void this.enqueue(id, async () => {
      if (action === "destroy") {
        const c = this.forget(id);
        if (c) {
          this.activity.record({
            type: "status_changed",
            message: `container ${c.name} was removed`,
            containerId: id,
            details: { removed: true },
          });
        }
        return;
      }
      if (action === "oom") return; // the following `die` reports it (inspect has OOMKilled)
      const before = this.store.get(id);
      const beforeHealth = before?.health;
      const c = await this.refreshNow(id);
      if (!c) return;
      if (action === "die") {
        const attr = Number(event.Actor.Attributes?.exitCode);
        this.onDie(c, Number.isFinite(attr) ? attr : null);
      }
      if (
        action.startsWith("health_status") &&
        c.health === "unhealthy" &&
        beforeHealth !== "unhealthy"
      ) {
        this.warn(c, "unhealthy", `container ${c.name} is unhealthy (health check failing)`);
      }
    });
  }

  /** Every stats sample: keep the latest, warn on CPU/memory above threshold (with hysteresis). */
  onSample(id: string, usage: ResourceUsage): void {
    const c = this.store.get(id);
    if (!c) return;
    c.usage = usage;
    const previous = this.warned.get(id) ?? { cpu: false, memory: false };
    const { state, warnings } = usageWarnings(previous, usage, this.options);
    this.warned.set(id, state);
    for (const w of warnings) this.warn(c, w.type, w.message, w.value, w.threshold);
  }

  /** Starts the periodic bulk container_status_update (one event per client, its containers). */
  startStatusUpdates(intervalMs: number): void {
    this.statusTimer = setInterval(() => this.pushStatusUpdates(), intervalMs);
    this.statusTimer.unref();
  }

  pushStatusUpdates(): void {
    const now = Date.now();
    const timestamp = new Date(now).toISOString();
    for (const [clientId, interests] of this.clients.withInterests()) {
      const containers = [];
      for (const id of interests) {
        const c = this.store.get(id);
        if (!c) continue;
        containers.push({
          ...summaryOf(c),
          resource_usage: { ...c.usage },
          uptime_seconds: uptimeSeconds(c, now),
          restart_count: c.restartCount,
        });
      }
      if (containers.length > 0) {
        this.clients.emitTo(clientId, "container_status_update", { containers, timestamp });
      }
    }
  }

  async close(): Promise<void> {
    if (this.statusTimer) clearInterval(this.statusTimer);
    await Promise.allSettled([...this.queues.values()]);
  }

  private enqueue(id: string, task: () => Promise<void>): Promise<void> {
    const prev = this.queues.get(id) ?? Promise.resolve();
    const next = prev.then(task).catch((error) => {
      this.log.warn({ container_id: id, err: String(error) }, "container refresh failed");
    });
    this.queues.set(id, next);
    void next.then(() => {
      if (this.queues.get(id) === next) this.queues.delete(id);
    });
    return next;
  }

  private async refreshNow(id: string): Promise<TrackedContainer | undefined> {
    let info: Awaited<ReturnType<DockerAdapter["inspect"]>>;
    try {
      info = await this.docker.inspect(id);
    } catch (error) {
      if (error instanceof FlowError && error.errorType === "container_not_found") {
        this.forget(id);
        return undefined;
      }
      throw error;
    }
    const { tracked, previous } = this.store.applyInspect(info);
    if (previous !== tracked.state) {
      const timestamp = new Date().toISOString();
      this.clients.broadcast("status_changed", {
        container_id: tracked.id,
        name: tracked.name,
        old_status: previous,
        new_status: tracked.state,
        timestamp,
      });
      this.activity.record({
        type: "status_changed",
        message: `container ${tracked.name}: ${previous ?? "new"} -> ${tracked.state}`,
        containerId: tracked.id,
        details: { old_status: previous, new_status: tracked.state },
      });
    }
    const running = tracked.state === "running";
    if (running) void this.stats.watch(id);
    else this.stats.unwatch(id);
    this.pool.setActive(id, tracked.socketDir, running);
    return tracked;
  }

  /** A container died (its `die` event, or found dead by a resync): a crash unless expected. */
  private onDie(c: TrackedContainer, eventExitCode: number | null): void {
    // The same death can be seen twice (a replayed `die` and the resync after an outage).
    const death = c.finishedAt ?? "";
    if (death !== "" && this.deaths.get(c.id) === death) return;
    this.deaths.set(c.id, death);
    const verdict = judgeDeath({
      expected: this.consumeExpectedStop(c.id),
      exitCode: c.exitCode,
      eventExitCode,
      oomKilled: c.oomKilled,
      restartPolicy: c.restartPolicy,
    });
    if (verdict.kind !== "crash") return;
    const exitCode = verdict.exitCode;
    const plan = verdict.managerRecovers
      ? this.recovery.onCrash(c.id, c.crashRecovery, c.startedAt, c.finishedAt)
      : null;
    const payload = {
      container_id: c.id,
      name: c.name,
      exit_code: exitCode,
      oom_killed: c.oomKilled,
      error: c.error ?? (c.oomKilled ? "killed by the kernel: out of memory" : null),
      timestamp: new Date().toISOString(),
      recovery: plan,
    };
    this.clients.broadcast("container_crashed", payload);
    this.activity.record({
      type: "container_crashed",
      message: `container ${c.name} crashed (exit code ${exitCode}${c.oomKilled ? ", OOM killed" : ""})`,
      containerId: c.id,
      details: { exit_code: exitCode, oom_killed: c.oomKilled, recovery: plan },
    });
    if (plan) {
      this.activity.record({
        type: "crash_recovery",
        message: `restarting ${c.name} in ${plan.delay_ms} ms (attempt ${plan.attempt} of ${plan.max_restarts})`,
        containerId: c.id,
        details: { ...plan },
      });
    }
  }

  private warn(
    c: TrackedContainer,
    type: "unhealthy" | UsageWarning["type"],
    message: string,
    value?: number,
    threshold?: number,
  ): void {
    this.clients.broadcast("container_health_warning", {
      container_id: c.id,
      name: c.name,
      warning_type: type,
      message,
      ...(value !== undefined ? { value } : {}),
      ...(threshold !== undefined ? { threshold } : {}),
      timestamp: new Date().toISOString(),
    });
    this.activity.record({
      type: "health_warning",
      message: `${c.name}: ${message}`,
      containerId: c.id,
      details: { warning_type: type, value, threshold },
    });
  }

  private forget(id: string): TrackedContainer | undefined {
    const c = this.store.remove(id);
    this.stats.unwatch(id);
    this.pool.close(id, "the container was removed");
    this.recovery.cancel(id);
    this.warned.delete(id);
    this.deaths.delete(id);
    this.expectedStops.delete(id);
    this.clients.forgetContainer(id);
    return c;
  }
}
