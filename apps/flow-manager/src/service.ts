import { randomBytes } from "node:crypto";
import { chmod, mkdir, rm } from "node:fs/promises";
import { dirname, join, posix, resolve } from "node:path";
import {
  type ContainerEnvelope,
  type ExecOperation,
  FLOW_CODE_DIR_IN_CONTAINER,
  FLOW_SOCKET_DIR_IN_CONTAINER,
  type Operation,
  type ParsedRequestOf,
  type ReplyOf,
} from "@dockflow/protocol";
import type { Logger } from "pino";
import type { ActivityLog } from "./activity-log.ts";
import type { ClientRegistry } from "./clients.ts";
import type { FlowManagerConfig } from "./config.ts";
import type { ConnectionPool } from "./connections.ts";
import type { CrashRecovery } from "./crash-recovery.ts";
import type { CreateSpec, DockerAdapter } from "./docker.ts";
import { errorBody, FlowError } from "./errors.ts";
import {
  isManagedBy,
  LABEL_CRASH_RECOVERY,
  LABEL_MANAGED,
  LABEL_MANAGER,
  LABEL_SOCKET_DIR,
  RESERVED_PREFIX,
} from "./labels.ts";
import type { LogService } from "./logs/log-service.ts";
import type { Monitor } from "./monitor.ts";
import type { PathGuard } from "./path-guard.ts";
import { type StatusStore, statusOf, summaryOf, type TrackedContainer } from "./status-store.ts";

/** Who asked, and hooks run once the reply has been sent (so later events follow it). */
export interface RequestContext {
  clientId: string;
  requestId: string | undefined;
  afterReply: (() => void)[];
}

type Reply<E extends Operation> = Omit<ReplyOf<E>, "request_id">;
type Handler<E extends Operation> = (
  req: ParsedRequestOf<E>,
  ctx: RequestContext,
) => Promise<Reply<E>>;
export type Operations = { [E in Operation]: Handler<E> };

/**
 * Why a (normalised) volume target may not be used, or null: the root, the socket folder and
 * anything in it (a mount there hides or replaces the socket), and the code folder and anything
 * in it (update_container empties it: a bind mount there would lose host files).
 */
function reservedTarget(path: string): string | null {
  const under = (dir: string) => path === dir || path.startsWith(`${dir}/`);
  if (path === "/" || path === "/.") return "the container's root";
  if (under(FLOW_SOCKET_DIR_IN_CONTAINER)) return "the flow socket folder";
  if (under(FLOW_CODE_DIR_IN_CONTAINER))
    return "the flow code folder, replaced by update_container";
  return null;
}

/** How long `flow.reload` may take before the manager restarts the container instead. */
const RELOAD_TIMEOUT_MS = 15_000;

/** The container and log operations, in Docker and container-socket terms (exec: exec/). */
export class FlowService implements Omit<Operations, ExecOperation> {
  private messageCounter = 0;
  private readonly messagePrefix = randomBytes(4).toString("hex");

  constructor(
    private readonly config: FlowManagerConfig,
    private readonly docker: DockerAdapter,
    private readonly store: StatusStore,
    private readonly monitor: Monitor,
    private readonly pool: ConnectionPool,
    private readonly recovery: CrashRecovery,
    private readonly clients: ClientRegistry,
    private readonly activity: ActivityLog,
    private readonly paths: PathGuard,
    private readonly log: Logger,
    private readonly logs: LogService,
  ) {}

  create_container = async (
    req: ParsedRequestOf<"create_container">,
    ctx: RequestContext,
  ): Promise<Reply<"create_container">> => {
    const binds: string[] = [];
    for (const [hostPath, target] of Object.entries(req.volumes ?? {})) {
      const real = await this.paths.check(hostPath, `volumes.${hostPath}`);
      const mode = /:(ro|rw)$/.exec(target)?.[0] ?? "";
      const containerPath = posix.normalize(target.slice(0, target.length - mode.length));
      const reserved = reservedTarget(containerPath);
      if (reserved) {
        const message = `${target} is reserved (${reserved})`;
        throw new FlowError("validation_error", `volumes: ${message}`, {
          issues: [{ path: `volumes.${hostPath}`, message }],
        });
      }
      binds.push(`${real}:${containerPath}${mode}`);
    }
    for (const key of Object.keys(req.labels ?? {})) {
      if (key.startsWith(RESERVED_PREFIX)) {
        throw new FlowError("validation_error", `labels: ${key} is reserved for the manager`, {
          issues: [{ path: `labels.${key}`, message: "dockflow.flow.* labels are reserved" }],
        });
      }
    }
    const portBindings: CreateSpec["portBindings"] = {};
    for (const [containerPort, hostPort] of Object.entries(req.ports ?? {})) {
      const key = containerPort.includes("/") ? containerPort : `${containerPort}/tcp`;
      portBindings[key] = [{ HostIp: this.config.publishHost, HostPort: String(hostPort) }];
    }

    const socketDir = join(this.config.socketRoot, randomBytes(6).toString("hex"));
    // The root is private to the host's root user; the folder itself is writable by whatever user
    // the flow runs as inside the container (it only ever sees /run/flow).
    await mkdir(this.config.socketRoot, { recursive: true, mode: 0o700 });
    await mkdir(socketDir, { mode: 0o777 });
    await chmod(socketDir, 0o777);
    binds.push(`${socketDir}:${FLOW_SOCKET_DIR_IN_CONTAINER}`);

    const labels: Record<string, string> = {
      ...this.config.defaultLabels,
      ...(req.labels ?? {}),
      [LABEL_MANAGED]: "true",
      [LABEL_MANAGER]: this.config.managerId,
      [LABEL_SOCKET_DIR]: socketDir,
    };
    if (req.crash_recovery) labels[LABEL_CRASH_RECOVERY] = JSON.stringify(req.crash_recovery);
    const hc = req.healthcheck;
    const seconds = (s: number | undefined) => (s === undefined ? undefined : Math.round(s * 1e9));
    const spec: CreateSpec = {
      image: req.image,
      ...(req.name ? { name: req.name } : {}),
      env: Object.entries(req.environment ?? {}).map(([k, v]) => `${k}=${v}`),
      ...(req.command ? { cmd: req.command } : {}),
      init: this.config.containerInit,
      labels,
      binds,
      portBindings,
      ...(req.memory_limit ? { memoryBytes: req.memory_limit } : {}),
      ...(req.cpu_limit ? { nanoCpus: Math.round(req.cpu_limit * 1e9) } : {}),
      ...(req.restart_policy
        ? {
            restartPolicy: {
              Name: req.restart_policy.name,
              ...(req.restart_policy.name === "on-failure"
                ? { MaximumRetryCount: req.restart_policy.maximum_retry_count ?? 0 }
                : {}),
            },
          }
        : {}),
      ...(hc
        ? {
            healthcheck: {
              Test: hc.test,
              ...(hc.interval_seconds !== undefined
                ? { Interval: seconds(hc.interval_seconds) }
                : {}),
              ...(hc.timeout_seconds !== undefined ? { Timeout: seconds(hc.timeout_seconds) } : {}),
              ...(hc.retries !== undefined ? { Retries: hc.retries } : {}),
              ...(hc.start_period_seconds !== undefined
                ? { StartPeriod: seconds(hc.start_period_seconds) }
                : {}),
            },
          }
        : {}),
    };

    let id: string;
    try {
      id = await this.createPulling(spec, ctx);
    } catch (error) {
      await rm(socketDir, { recursive: true, force: true });
      throw error;
    }
    const c = await this.monitor.refresh(id);
    this.clients.noteOwner(ctx.clientId, id);
    const name = c?.name ?? req.name ?? id.slice(0, 12);
    this.activity.record({
      type: "container_created",
      message: `created container ${name} from ${req.image}`,
      containerId: id,
      clientId: ctx.clientId,
      details: { image: req.image, name },
    });
    return { container_id: id, name, status: c?.state ?? "created", image: req.image };
  };

  start_container = async (
    req: ParsedRequestOf<"start_container">,
    ctx: RequestContext,
  ): Promise<Reply<"start_container">> => {
    const c = await this.find(req.container_id, ctx);
    await this.docker.start(c.id);
    const now = await this.refreshed(c);
    this.pool.setActive(c.id, c.socketDir, now.state === "running");
    this.record("container_started", `started container ${now.name}`, now, ctx);
    return { container_id: now.id, name: now.name, status: now.state };
  };

  stop_container = async (
    req: ParsedRequestOf<"stop_container">,
    ctx: RequestContext,
  ): Promise<Reply<"stop_container">> => {
    const c = await this.find(req.container_id, ctx);
    const timeout = req.timeout ?? this.config.stopTimeoutSeconds;
    this.recovery.cancel(c.id);
    if (c.state === "running" || c.state === "restarting" || c.state === "paused") {
      this.monitor.expectStop(c.id, timeout);
    }
    await this.docker.stop(c.id, timeout);
    const now = await this.refreshed(c);
    this.record("container_stopped", `stopped container ${now.name}`, now, ctx, {
      exit_code: now.exitCode,
    });
    return { container_id: now.id, name: now.name, status: now.state, exit_code: now.exitCode };
  };

  restart_container = async (
    req: ParsedRequestOf<"restart_container">,
    ctx: RequestContext,
  ): Promise<Reply<"restart_container">> => {
    const c = await this.find(req.container_id, ctx);
    const timeout = req.timeout ?? this.config.stopTimeoutSeconds;
    this.recovery.cancel(c.id);
    if (c.state === "running") this.monitor.expectStop(c.id, timeout);
    await this.docker.restart(c.id, timeout);
    const now = await this.refreshed(c);
    this.record("container_restarted", `restarted container ${now.name}`, now, ctx);
    return { container_id: now.id, name: now.name, status: now.state };
  };

  delete_container = async (
    req: ParsedRequestOf<"delete_container">,
    ctx: RequestContext,
  ): Promise<Reply<"delete_container">> => {
    const c = await this.find(req.container_id, ctx);
    this.recovery.cancel(c.id);
    if (c.state === "running") this.monitor.expectStop(c.id, 0);
    await this.docker.remove(c.id, req.force ?? true);
    this.pool.close(c.id, "the container was deleted");
    await this.removeSocketDir(c.socketDir);
    await this.monitor.refresh(c.id); // 404 now: forgets it
    this.record("container_deleted", `deleted container ${c.name}`, c, ctx);
    return { container_id: c.id, name: c.name };
  };

  update_container = async (
    req: ParsedRequestOf<"update_container">,
    ctx: RequestContext,
  ): Promise<Reply<"update_container">> => {
    const c = await this.find(req.container_id, ctx);
    const codeDir = await this.paths.check(req.code_path, "code_path", "directory");
    const current = await this.refreshed(c);
    if (current.state !== "running") {
      throw new FlowError(
        "docker_api_error",
        `container ${c.name} is ${current.state}: update_container needs a running container`,
        { container_id: c.id, status: current.state },
      );
    }
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
    await this.docker.putFolder(c.id, codeDir, dir);

    let appliedBy: "reload" | "restart" = "reload";
    const reload = await this.ask(c, "flow.reload", undefined, RELOAD_TIMEOUT_MS);
    const reloaded =
      reload.command === "result" &&
      (reload.data as { reloaded?: unknown } | undefined)?.reloaded === true;
    if (!reloaded) {
      this.log.info({ container_id: c.id, reply: reload.command }, "reload failed; restarting");
      appliedBy = "restart";
      this.monitor.expectStop(c.id, this.config.stopTimeoutSeconds);
      await this.docker.restart(c.id, this.config.stopTimeoutSeconds);
    }
    const now = await this.refreshed(c);
    this.record("container_updated", `updated code of ${now.name} (${appliedBy})`, now, ctx, {
      code_path: req.code_path,
      applied_by: appliedBy,
    });
    return {
      container_id: now.id,
      name: now.name,
      status: now.state,
      code_path: req.code_path,
      applied_by: appliedBy,
    };
  };

  send_message = async (
    req: ParsedRequestOf<"send_message">,
    ctx: RequestContext,
  ): Promise<Reply<"send_message">> => {
    const c = await this.find(req.container_id, ctx);
    this.clients.noteOwner(ctx.clientId, c.id);
    if (!c.socketDir) {
      throw new FlowError("socket_connection_error", `container ${c.name} has no flow socket`, {
        container_id: c.id,
      });
    }
    const messageId = `${this.messagePrefix}-${++this.messageCounter}`;
    const conn = this.pool.get(c.id, c.socketDir);
    const running = c.state === "running";
    if (running) conn.setActive(true);
    // Until message_sent is out, replies wait here so the client sees them in order.
    let replied = false;
    const queued: (() => void)[] = [];
    const later = (fn: () => void) => (replied ? fn() : queued.push(fn));
    ctx.afterReply.push(() => {
      replied = true;
      for (const fn of queued.splice(0)) fn();
    });
    const { clientId, requestId } = ctx;
    await conn.request(
      { id: messageId, command: req.message.command, data: req.message.data },
      req.timeout_ms ?? this.config.messageTimeoutMs,
      {
        onMessage: (env) =>
          later(() => {
            this.clients.emitTo(clientId, "message_received", {
              ...(requestId ? { request_id: requestId } : {}),
              container_id: c.id,
              message: { command: env.command, data: env.data, reply_to: env.reply_to },
              timestamp: new Date().toISOString(),
            });
            this.activity.record({
              type: "message_received",
              message: `${env.command} from ${c.name}`,
              containerId: c.id,
              clientId,
              details: { message_id: messageId, command: env.command },
              audience: this.messageAudience(clientId),
            });
          }),
        onFailure: (error) =>
          later(() => {
            // One error may be shared by every request pending on a lost connection: copy it.
            const own = new FlowError(error.errorType, error.message, {
              ...error.details,
              container_id: c.id,
              message_id: messageId,
            });
            const body = errorBody(own, "send_message", requestId);
            this.clients.emitTo(clientId, "error", body);
            this.activity.record({
              type: "error",
              message: `send_message to ${c.name}: ${error.message}`,
              containerId: c.id,
              clientId,
              details: { error_type: body.error_type, message_id: messageId },
              audience: [clientId],
            });
          }),
      },
      running ? this.config.connectTimeoutMs : 0,
    );
    this.activity.record({
      type: "message_sent",
      message: `${req.message.command} to ${c.name}`,
      containerId: c.id,
      clientId,
      details: { message_id: messageId, command: req.message.command },
      audience: this.messageAudience(clientId),
    });
    return { container_id: c.id, message_id: messageId };
  };

  get_container_status = async (
    req: ParsedRequestOf<"get_container_status">,
    ctx: RequestContext,
  ): Promise<Reply<"get_container_status">> => {
    const c = await this.find(req.container_id, ctx);
    return statusOf(c);
  };

  list_containers = async (
    req: ParsedRequestOf<"list_containers">,
    ctx: RequestContext,
  ): Promise<Reply<"list_containers">> => {
    const all = req.all ?? true;
    const containers = this.store
      .all()
      .filter((c) => all || c.state === "running")
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    for (const c of containers) this.clients.noteInterest(ctx.clientId, c.id);
    return { containers: containers.map(summaryOf) };
  };

  get_activity_log = async (
    req: ParsedRequestOf<"get_activity_log">,
    _ctx: RequestContext,
  ): Promise<Reply<"get_activity_log">> => {
    let containerId: string | undefined;
    if (req.container_id)
      containerId = this.store.resolve(req.container_id)?.id ?? req.container_id;
    return { entries: this.activity.recent(req.limit ?? 100, containerId) };
  };

  get_container_logs = async (
    req: ParsedRequestOf<"get_container_logs">,
    ctx: RequestContext,
  ): Promise<Reply<"get_container_logs">> => {
    const c = await this.find(req.container_id, ctx);
    return { container_id: c.id, lines: await this.logs.read(c.id, req) };
  };

  subscribe_logs = async (
    req: ParsedRequestOf<"subscribe_logs">,
    ctx: RequestContext,
  ): Promise<Reply<"subscribe_logs">> => {
    const c = await this.find(req.container_id, ctx);
    ctx.afterReply.push(await this.logs.subscribe(ctx.clientId, c.id, req));
    return { container_id: c.id };
  };

  unsubscribe_logs = async (
    req: ParsedRequestOf<"unsubscribe_logs">,
    ctx: RequestContext,
  ): Promise<Reply<"unsubscribe_logs">> => {
    const c = await this.find(req.container_id, ctx);
    this.logs.unsubscribe(ctx.clientId, c.id);
    return { container_id: c.id };
  };

  /**
   * Message traffic is always in the audit log and the activity history; it is pushed live as
   * `activity_log` only with FLOW_LIVE_MESSAGE_ACTIVITY (the sender already gets message_sent and
   * message_received, and a second event per message halves the relay's throughput).
   */
  private messageAudience(clientId: string): string[] | "none" {
    return this.config.liveMessageActivity ? [clientId] : "none";
  }

  /** Sends a command and waits for its final reply; any failure comes back as an `error` envelope. */
  private async ask(
    c: TrackedContainer,
    command: string,
    data: unknown,
    timeoutMs: number,
  ): Promise<ContainerEnvelope> {
    if (!c.socketDir) return { command: "error", data: { message: "no flow socket" } };
    const conn = this.pool.get(c.id, c.socketDir);
    const id = `${this.messagePrefix}-${++this.messageCounter}`;
    return new Promise<ContainerEnvelope>((resolve) => {
      conn
        .request(
          { id, command, data },
          timeoutMs,
          {
            onMessage: (env, final) => {
              if (final) resolve(env);
            },
            onFailure: (error) => resolve({ command: "error", data: { message: error.message } }),
          },
          this.config.connectTimeoutMs,
        )
        .catch((error: Error) => resolve({ command: "error", data: { message: error.message } }));
    });
  }

  /** A managed container by id, prefix or name; container_not_found for anything else. */
  private async find(ref: string, ctx: RequestContext): Promise<TrackedContainer> {
    let c = this.store.resolve(ref);
    if (!c) {
      try {
        const info = await this.docker.inspect(ref);
        if (isManagedBy(info.Config.Labels ?? undefined, this.config.managerId)) {
          c = await this.monitor.refresh(info.Id);
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
    this.clients.noteInterest(ctx.clientId, c.id);
    return c;
  }

  private async refreshed(c: TrackedContainer): Promise<TrackedContainer> {
    const now = await this.monitor.refresh(c.id);
    if (!now) {
      throw new FlowError("container_not_found", `container ${c.name} no longer exists`, {
        container_id: c.id,
      });
    }
    return now;
  }

  private async createPulling(spec: CreateSpec, ctx: RequestContext): Promise<string> {
    try {
      return await this.docker.create(spec);
    } catch (error) {
      if (!(error instanceof FlowError && error.errorType === "image_not_found")) throw error;
    }
    this.activity.record({
      type: "image_pull",
      message: `pulling image ${spec.image}`,
      clientId: ctx.clientId,
      details: { image: spec.image, status: "started" },
    });
    await this.docker.pull(spec.image, (p) => {
      this.activity.record({
        type: "image_pull",
        message: `${spec.image}: ${p.status ?? "progress"}${p.progress ? ` ${p.progress}` : ""}`,
        clientId: ctx.clientId,
        details: { image: spec.image, status: p.status, layer: p.id, progress: p.progress },
      });
    });
    return this.docker.create(spec);
  }

  private record(
    type:
      | "container_started"
      | "container_stopped"
      | "container_restarted"
      | "container_deleted"
      | "container_updated",
    message: string,
    c: TrackedContainer,
    ctx: RequestContext,
    details: Record<string, unknown> = {},
  ): void {
    this.activity.record({ type, message, containerId: c.id, clientId: ctx.clientId, details });
  }

  /** Removes a per-container socket folder, only if it is a direct child of the socket root. */
  private async removeSocketDir(dir: string | null): Promise<void> {
    if (!dir) return;
    const abs = resolve(dir);
    if (dirname(abs) !== resolve(this.config.socketRoot)) return;
    await rm(abs, { recursive: true, force: true });
  }
}
