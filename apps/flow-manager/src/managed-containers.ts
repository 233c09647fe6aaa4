import { FLOW_CODE_DIR_IN_CONTAINER } from "@dockflow/protocol";
import type { Logger } from "pino";
import type { ClientRegistry } from "./clients.ts";
import type { ConnectionPool } from "./connections.ts";
import { CrashRecovery } from "./crash-recovery.ts";
import { judgeDeath } from "./death.ts";
import type { CreateSpec, DockerAdapter } from "./docker.ts";
import { FlowError } from "./errors.ts";
import type { DockerEvent } from "./event-watcher.ts";
import { isManagedBy } from "./labels.ts";
import type { Notifier } from "./notifier.ts";
import type { ResourceWatch } from "./resource-watch.ts";
import type { SocketFolders } from "./socket-folders.ts";
import type { StatsStreams } from "./stats.ts";
import type { StatusStore, TrackedContainer } from "./status-store.ts";

export interface ManagedContainersOptions {
  docker: DockerAdapter;
  managerId: string;
  store: StatusStore;
  folders: SocketFolders;
  pool: ConnectionPool;
  stats: StatsStreams;
  resources: ResourceWatch;
  clients: ClientRegistry;
  notifier: Notifier;
  /** FLOW_RECOVERY_RESET_MS */
  recoveryResetMs: number;
  log: Logger;
}

/** Docker events that say nothing about a container's state. */
const QUIET_ACTIONS = new Set(["attach", "resize", "top"]);

/**
 * The one owner of this manager's containers: creates, starts, stops, restarts and removes them
 * in Docker, keeps the status store in step (inspect, in order per container, after each call and
 * each Docker event), knows which stops were asked for, handles deaths (crash push and recovery),
 * and sets up and tears down what each container has on the host: its socket folder, its
 * connection and its stats stream.
 */
export class ManagedContainers {
  /** Per-container queue, so store updates for one container happen in order. */
  private readonly queues = new Map<string, Promise<void>>();
  /** Stops the manager was asked for (id -> expiry): their `die` is not a crash. */
  private readonly expectedStops = new Map<string, number>();
  /** The FinishedAt of the last death handled per container. */
  private readonly deaths = new Map<string, string>();
  private readonly recovery: CrashRecovery;

  constructor(private readonly options: ManagedContainersOptions) {
    this.recovery = new CrashRecovery({
      restart: (id, attempt) => this.restartCrashed(id, attempt),
      resetMs: options.recoveryResetMs,
      log: options.log.child({ component: "crash-recovery" }),
    });
  }

  private get docker(): DockerAdapter {
    return this.options.docker;
  }

  private get store(): StatusStore {
    return this.options.store;
  }

  get size(): number {
    return this.store.size;
  }

  /** A managed container by id, unique id prefix or name; container_not_found for anything else. */
  async find(ref: string): Promise<TrackedContainer> {
    let c = this.store.resolve(ref);
    if (!c) {
      try {
        const info = await this.docker.inspect(ref);
        if (isManagedBy(info.Config.Labels ?? undefined, this.options.managerId)) {
          c = await this.refresh(info.Id);
        }
      } catch (error) {
        if (!(error instanceof FlowError && error.errorType === "container_not_found")) throw error;
      }
    }
    if (!c) {
      throw new FlowError("container_not_found", `no managed container "${ref}"`, {
        container_id: ref,
      });
    }
    return c;
  }

  /**
   * Creates a container with a fresh socket folder; `specFor` builds the spec around that folder.
   * A missing image is pulled once, its progress in the activity log for `clientId`; the folder
   * goes if creation fails.
   */
  async create(
    specFor: (socketDir: string) => CreateSpec,
    clientId: string,
  ): Promise<{ id: string; container: TrackedContainer | undefined }> {
    const socketDir = await this.options.folders.create();
    let id: string;
    try {
      const spec = specFor(socketDir);
      id = await this.createPulling(spec, clientId);
    } catch (error) {
      await this.options.folders.remove(socketDir);
      throw error;
    }
    return { id, container: await this.refresh(id) };
  }

  async start(c: TrackedContainer): Promise<TrackedContainer> {
    await this.docker.start(c.id);
    return this.refreshed(c);
  }

  async stop(c: TrackedContainer, timeoutSeconds: number): Promise<TrackedContainer> {
    this.recovery.cancel(c.id);
    if (c.state === "running" || c.state === "restarting" || c.state === "paused") {
      this.expectStop(c.id, timeoutSeconds);
    }
    await this.docker.stop(c.id, timeoutSeconds);
    return this.refreshed(c);
  }

  async restart(c: TrackedContainer, timeoutSeconds: number): Promise<TrackedContainer> {
    this.recovery.cancel(c.id);
    if (c.state === "running") this.expectStop(c.id, timeoutSeconds);
    await this.docker.restart(c.id, timeoutSeconds);
    return this.refreshed(c);
  }

  /** Removes the container, its connection and its socket folder, and forgets it. */
  async remove(c: TrackedContainer, force: boolean): Promise<void> {
    this.recovery.cancel(c.id);
    if (c.state === "running") this.expectStop(c.id, 0);
    await this.docker.remove(c.id, force);
    this.options.pool.close(c.id, "the container was deleted");
    await this.options.folders.remove(c.socketDir);
    await this.refresh(c.id); // 404 now: forgets it
  }

  /** Replaces the content of the flow code folder of a running container with `hostDir`'s. */
  async replaceCode(c: TrackedContainer, hostDir: string): Promise<void> {
    const dir = FLOW_CODE_DIR_IN_CONTAINER;
    const wipe = await this.docker.exec(c.id, [
      "sh",
      "-c",
      `rm -rf ${dir}/* ${dir}/.[!.]* ${dir}/..?* && mkdir -p ${dir}`,
    ]);
    if (wipe.exitCode !== 0) {
      throw new FlowError("docker_api_error", `could not clear ${dir}: ${wipe.output.trim()}`, {
        container_id: c.id,
      });
    }
    await this.docker.putFolder(c.id, hostDir, dir);
  }

  /** The container as Docker has it now; container_not_found when it is gone. */
  async refreshed(c: TrackedContainer): Promise<TrackedContainer> {
    const now = await this.refresh(c.id);
    if (!now) {
      throw new FlowError("container_not_found", `container ${c.name} no longer exists`, {
        container_id: c.id,
      });
    }
    return now;
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
    if (action.startsWith("exec_") || QUIET_ACTIONS.has(action)) return;
    void this.enqueue(id, async () => {
      if (action === "destroy") {
        const c = this.forget(id);
        if (c) this.options.notifier.removed(c);
        return;
      }
      if (action === "oom") return; // the following `die` reports it (inspect has OOMKilled)
      const beforeHealth = this.store.get(id)?.health;
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
        this.options.notifier.healthWarning(c, {
          warning_type: "unhealthy",
          message: `container ${c.name} is unhealthy (health check failing)`,
        });
      }
    });
  }

  async close(): Promise<void> {
    this.recovery.close();
    await Promise.allSettled([...this.queues.values()]);
  }

  /** Marks a stop/restart/delete the manager is about to do, so its `die` is not a crash. */
  private expectStop(id: string, timeoutSeconds: number): void {
    this.expectedStops.set(id, Date.now() + (timeoutSeconds + 60) * 1000);
  }

  private consumeExpectedStop(id: string): boolean {
    const until = this.expectedStops.get(id);
    this.expectedStops.delete(id);
    return until !== undefined && until >= Date.now();
  }

  private async createPulling(spec: CreateSpec, clientId: string): Promise<string> {
    try {
      return await this.docker.create(spec);
    } catch (error) {
      if (!(error instanceof FlowError && error.errorType === "image_not_found")) throw error;
    }
    const { notifier } = this.options;
    notifier.imagePull(spec.image, clientId, "started");
    await this.docker.pull(spec.image, (p) => notifier.imagePull(spec.image, clientId, p));
    return this.docker.create(spec);
  }

  private async restartCrashed(id: string, attempt: number): Promise<void> {
    await this.docker.start(id);
    await this.refresh(id);
    this.options.notifier.recovered(id, attempt);
  }

  private enqueue(id: string, task: () => Promise<void>): Promise<void> {
    const prev = this.queues.get(id) ?? Promise.resolve();
    const next = prev.then(task).catch((error) => {
      this.options.log.warn({ container_id: id, err: String(error) }, "container refresh failed");
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
    if (previous !== tracked.state) this.options.notifier.statusChanged(tracked, previous);
    const running = tracked.state === "running";
    if (running) void this.options.stats.watch(id);
    else this.options.stats.unwatch(id);
    this.options.pool.setActive(id, tracked.socketDir, running);
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
    const plan = verdict.managerRecovers
      ? this.recovery.onCrash(c.id, c.crashRecovery, c.startedAt, c.finishedAt)
      : null;
    this.options.notifier.crashed(c, verdict.exitCode, plan);
    if (verdict.managerRecovers && !plan && c.crashRecovery?.enabled) {
      this.options.notifier.restartLimitReached(c, verdict.exitCode, c.crashRecovery.max_restarts);
    }
  }

  private forget(id: string): TrackedContainer | undefined {
    const c = this.store.remove(id);
    this.options.stats.unwatch(id);
    this.options.pool.close(id, "the container was removed");
    this.recovery.cancel(id);
    this.options.resources.forget(id);
    this.deaths.delete(id);
    this.expectedStops.delete(id);
    this.options.clients.forgetContainer(id);
    return c;
  }
}
