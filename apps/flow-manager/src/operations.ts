import type { Logger } from "pino";
import type { ActivityLog } from "./activity-log.ts";
import type { ClientRegistry } from "./clients.ts";
import { toCreateSpec } from "./create-options.ts";
import { FlowError } from "./errors.ts";
import type { Handler, RequestContext } from "./handlers.ts";
import type { LogService } from "./logs/log-service.ts";
import type { ManagedContainers } from "./managed-containers.ts";
import type { Messaging } from "./messaging.ts";
import type { LifecycleActivity, Notifier } from "./notifier.ts";
import type { PathGuard } from "./path-guard.ts";
import { type StatusStore, statusOf, summaryOf, type TrackedContainer } from "./status-store.ts";

export interface OperationsOptions {
  containers: ManagedContainers;
  store: StatusStore;
  messaging: Messaging;
  clients: ClientRegistry;
  notifier: Notifier;
  activity: ActivityLog;
  paths: PathGuard;
  logs: LogService;
  managerId: string;
  publishHost: string;
  defaultLabels: Record<string, string>;
  /** FLOW_CONTAINER_INIT: run Docker's init as PID 1 in every container created. */
  containerInit: boolean;
  /** FLOW_STOP_TIMEOUT_SECONDS: for stop/restart without a timeout, and update's restart. */
  stopTimeoutSeconds: number;
  log: Logger;
}

/** How long `flow.reload` may take before the manager restarts the container instead. */
const RELOAD_TIMEOUT_MS = 15_000;

/**
 * The request handlers other than send_message: each turns a validated request into calls on
 * the managed containers, records what was done, and builds the reply.
 */
export class ContainerOperations {
  constructor(private readonly options: OperationsOptions) {}

  create: Handler<"create_container"> = async (req, ctx) => {
    const { containers, paths, clients, notifier } = this.options;
    const hostPaths = new Map<string, string>();
    for (const hostPath of Object.keys(req.volumes ?? {})) {
      hostPaths.set(hostPath, await paths.check(hostPath, `volumes.${hostPath}`));
    }
    const { id, container: c } = await containers.create(
      (socketDir) =>
        toCreateSpec(req, {
          managerId: this.options.managerId,
          publishHost: this.options.publishHost,
          defaultLabels: this.options.defaultLabels,
          init: this.options.containerInit,
          socketDir,
          hostPaths,
        }),
      ctx.clientId,
    );
    clients.noteOwner(ctx.clientId, id);
    const name = c?.name ?? req.name ?? id.slice(0, 12);
    notifier.lifecycle(
      "container_created",
      `created container ${name} from ${req.image}`,
      id,
      ctx.clientId,
      { image: req.image, name },
    );
    return { container_id: id, name, status: c?.state ?? "created", image: req.image };
  };

  start: Handler<"start_container"> = async (req, ctx) => {
    const c = await this.containers.start(await this.find(req.container_id, ctx));
    this.record("container_started", `started container ${c.name}`, c, ctx);
    return { container_id: c.id, name: c.name, status: c.state };
  };

  stop: Handler<"stop_container"> = async (req, ctx) => {
    const timeout = req.timeout ?? this.options.stopTimeoutSeconds;
    const c = await this.containers.stop(await this.find(req.container_id, ctx), timeout);
    this.record("container_stopped", `stopped container ${c.name}`, c, ctx, {
      exit_code: c.exitCode,
    });
    return { container_id: c.id, name: c.name, status: c.state, exit_code: c.exitCode };
  };

  restart: Handler<"restart_container"> = async (req, ctx) => {
    const timeout = req.timeout ?? this.options.stopTimeoutSeconds;
    const c = await this.containers.restart(await this.find(req.container_id, ctx), timeout);
    this.record("container_restarted", `restarted container ${c.name}`, c, ctx);
    return { container_id: c.id, name: c.name, status: c.state };
  };

  delete: Handler<"delete_container"> = async (req, ctx) => {
    const c = await this.find(req.container_id, ctx);
    await this.containers.remove(c, req.force ?? true);
    this.record("container_deleted", `deleted container ${c.name}`, c, ctx);
    return { container_id: c.id, name: c.name };
  };

  /** Copies new code in, then asks the flow to reload; restarts it when the reload fails. */
  update: Handler<"update_container"> = async (req, ctx) => {
    const c = await this.find(req.container_id, ctx);
    const codeDir = await this.options.paths.check(req.code_path, "code_path", "directory");
    const current = await this.containers.refreshed(c);
    if (current.state !== "running") {
      throw new FlowError(
        "docker_api_error",
        `container ${c.name} is ${current.state}: update_container needs a running container`,
        { container_id: c.id, status: current.state },
      );
    }
    await this.containers.replaceCode(c, codeDir);
    const reload = await this.options.messaging.ask(c, "flow.reload", undefined, RELOAD_TIMEOUT_MS);
    const reloaded =
      reload.command === "result" &&
      (reload.data as { reloaded?: unknown } | undefined)?.reloaded === true;
    const appliedBy = reloaded ? "reload" : "restart";
    if (!reloaded) {
      this.options.log.info(
        { container_id: c.id, reply: reload.command },
        "reload failed; restarting",
      );
    }
    const now = reloaded
      ? await this.containers.refreshed(c)
      : await this.containers.restart(current, this.options.stopTimeoutSeconds);
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

  status: Handler<"get_container_status"> = async (req, ctx) =>
    statusOf(await this.find(req.container_id, ctx));

  list: Handler<"list_containers"> = async (req, ctx) => {
    const all = req.all ?? true;
    const containers = this.options.store
      .all()
      .filter((c) => all || c.state === "running")
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    for (const c of containers) this.options.clients.noteInterest(ctx.clientId, c.id);
    return { containers: containers.map(summaryOf) };
  };

  activityLog: Handler<"get_activity_log"> = async (req) => {
    const ref = req.container_id;
    const containerId = ref ? (this.options.store.resolve(ref)?.id ?? ref) : undefined;
    return { entries: this.options.activity.recent(req.limit ?? 100, containerId) };
  };

  logs: Handler<"get_container_logs"> = async (req, ctx) => {
    const c = await this.find(req.container_id, ctx);
    return { container_id: c.id, lines: await this.options.logs.read(c.id, req) };
  };

  /** The pushes start once the reply (logs_subscribed) is out. */
  subscribeLogs: Handler<"subscribe_logs"> = async (req, ctx) => {
    const c = await this.find(req.container_id, ctx);
    ctx.afterReply.push(await this.options.logs.subscribe(ctx.clientId, c.id, req));
    return { container_id: c.id };
  };

  unsubscribeLogs: Handler<"unsubscribe_logs"> = async (req, ctx) => {
    const c = await this.find(req.container_id, ctx);
    this.options.logs.unsubscribe(ctx.clientId, c.id);
    return { container_id: c.id };
  };

  private get containers(): ManagedContainers {
    return this.options.containers;
  }

  /** The container a request names; the client follows it in its status updates from now on. */
  private async find(ref: string, ctx: RequestContext): Promise<TrackedContainer> {
    const c = await this.options.containers.find(ref);
    this.options.clients.noteInterest(ctx.clientId, c.id);
    return c;
  }

  private record(
    type: LifecycleActivity,
    message: string,
    c: TrackedContainer,
    ctx: RequestContext,
    details: Record<string, unknown> = {},
  ): void {
    this.options.notifier.lifecycle(type, message, c.id, ctx.clientId, details);
  }
}
