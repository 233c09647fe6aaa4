import type { AgentEvent, Command } from "@dockflow/protocol";
import type pino from "pino";
import {
  connectorVersion,
  goneAction,
  needsStart,
  statusAfterEvent,
  statusKey,
} from "./connector-state.ts";
import type { DockerEvent } from "./docker/events.ts";
import type { ConnectorInfo, ConnectorSpec, DockerManager } from "./docker/manager.ts";
import { type AgentMetrics, setConnectorState } from "./metrics.ts";
import type { StateFiles, TunnelState } from "./state-files.ts";

type TunnelStatusEvent = Extract<AgentEvent, { type: "tunnel_status" }>;
type StartTunnel = Extract<Command, { action: "start_tunnel" }>;
type Rules = StartTunnel["rules"];

/** `tunnel --no-autoupdate run`: the token travels only in TUNNEL_TOKEN, never as an argument. */
export const CONNECTOR_ARGS = ["tunnel", "--no-autoupdate", "run"];

export interface ConnectorSettings {
  name: string;
  image: string;
  network: string;
  labelPrefix: string;
  /** Extra labels for the connector and its network (CONNECTOR_LABELS). */
  extraLabels: Record<string, string>;
  /** How long to watch a new connector before reporting that it did not come up. */
  startTimeoutMs: number;
}

export class CommandError extends Error {}

/**
 * Runs the tunnel connector the master assigned (seed 3.3/3.4) and keeps it running: the desired
 * state is saved to DATA_DIR/tunnel_state.json before anything is done, re-applied at start-up
 * (even while the master is down), and re-checked whenever the engine reports the connector
 * stopped, died or vanished. Operations run one at a time.
 */
export class ConnectorManager {
  private state: TunnelState | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private reconcileQueued = false;
  private lastReport = "";
  private eventWaiters: (() => void)[] = [];
  private closed = false;

  constructor(
    private readonly manager: DockerManager,
    private readonly files: StateFiles,
    private readonly settings: ConnectorSettings,
    private readonly report: (event: TunnelStatusEvent) => void,
    private readonly log: pino.Logger,
    private readonly metrics: AgentMetrics,
  ) {}

  /** The saved desired state (token excluded), for health output and tests. */
  get desired(): Omit<TunnelState, "token"> | undefined {
    if (!this.state) return undefined;
    const { token: _token, ...rest } = this.state;
    return rest;
  }

  async load(): Promise<void> {
    try {
      this.state = await this.files.readTunnelState();
    } catch (error) {
      this.log.error(
        { err: (error as Error).message },
        "tunnel state file unreadable; ignoring it",
      );
      this.state = undefined;
    }
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.chain.then(task, task);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private spec(state: TunnelState): ConnectorSpec {
    const p = this.settings.labelPrefix;
    return {
      name: this.settings.name,
      image: this.settings.image,
      args: CONNECTOR_ARGS,
      token: state.token,
      network: this.settings.network,
      labels: {
        ...this.settings.extraLabels,
        [`${p}managed`]: "true",
        [`${p}type`]: "tunnel",
        [`${p}tunnel_id`]: state.id,
        [`${p}tunnel_name`]: state.name,
      },
    };
  }

  /** `start_tunnel`: save the desired state first, then make the connector match it. */
  start(command: StartTunnel): Promise<Record<string, unknown>> {
    return this.serial(async () => {
      const state: TunnelState = {
        token: command.token,
        id: command.tunnel_id,
        name: command.tunnel_name,
        desired_state: "running",
        rules: command.rules,
      };
      await this.files.writeTunnelState(state);
      this.state = state;
      const info = await this.ensureRunning("start_tunnel");
      return this.result(info);
    });
  }

  stop(tunnelId: string): Promise<Record<string, unknown>> {
    return this.serial(async () => {
      const state = this.current(tunnelId);
      state.desired_state = "stopped";
      await this.files.writeTunnelState(state);
      await this.manager.removeConnector(this.settings.name);
      this.sendStatus({ name: this.settings.name, status: "stopped", running: false });
      return { tunnel_id: tunnelId, status: "stopped" };
    });
  }

  restart(tunnelId: string): Promise<Record<string, unknown>> {
    return this.serial(async () => {
      const state = this.current(tunnelId);
      state.desired_state = "running";
      await this.files.writeTunnelState(state);
      const difference = await this.manager.connectorDifference(this.spec(state));
      if (difference) {
        await this.manager.createConnector(this.spec(state));
      } else {
        await this.manager.restartConnector(this.settings.name);
      }
      this.metrics.connectorRestarts.inc({ reason: "command" });
      return this.result(await this.waitRunning());
    });
  }

  /** The agent never edits Cloudflare: it records the rules it serves and reports them back. */
  updateConfig(tunnelId: string, rules: Rules): Promise<Record<string, unknown>> {
    return this.serial(async () => {
      const state = this.current(tunnelId);
      state.rules = rules;
      await this.files.writeTunnelState(state);
      return { tunnel_id: tunnelId, rules };
    });
  }

  /** Start-up (and periodic) reconcile: make the engine match the saved desired state. */
  reconcile(reason: string): Promise<void> {
    if (this.reconcileQueued) return this.chain.then(() => undefined);
    this.reconcileQueued = true;
    return this.serial(async () => {
      this.reconcileQueued = false;
      if (this.closed || !this.state) return;
      if (this.state.desired_state === "stopped") {
        if (await this.manager.inspectConnector(this.settings.name)) {
          this.log.info({ reason }, "connector should be stopped: removing it");
          await this.manager.removeConnector(this.settings.name);
        }
        return;
      }
      await this.ensureRunning(reason);
    }).catch((error: Error) => {
      this.log.error({ reason, err: error.message }, "connector reconcile failed");
    });
  }

  /** Engine events about the connector: report what happened, and re-check when it went away. */
  handleEvent(event: DockerEvent): void {
    if (!this.manager.isConnectorEvent(event, this.settings.name)) return;
    for (const wake of this.eventWaiters.splice(0)) wake();
    if (this.closed || this.state?.desired_state !== "running") return;
    if (event.Type === "container" && (event.Action === "start" || event.Action === "die")) {
      void this.manager
        .inspectConnector(this.settings.name)
        .then((info) => {
          const status = statusAfterEvent(event, info, this.settings.name);
          if (status) this.sendStatus(status);
        })
        .catch(() => undefined);
    }
    if (goneAction(event.Action)) {
      void this.reconcile(`connector ${event.Action}`);
    }
  }

  private current(tunnelId: string): TunnelState {
    if (!this.state) throw new CommandError("this agent runs no tunnel");
    if (this.state.id !== tunnelId) {
      throw new CommandError(`this agent runs tunnel ${this.state.id}, not ${tunnelId}`);
    }
    return this.state;
  }

  private async ensureRunning(reason: string): Promise<ConnectorInfo> {
    const state = this.state!;
    const spec = this.spec(state);
    const difference = await this.manager.connectorDifference(spec);
    if (difference) {
      this.log.info(
        { reason, difference, connector: spec.name, tunnel_id: state.id, image: spec.image },
        difference === "missing" ? "creating the connector" : "recreating the connector",
      );
      await this.manager.createConnector(spec);
      this.countRecovery(reason);
    } else {
      const info = await this.manager.inspectConnector(spec.name);
      if (needsStart(info, this.manager.connectorKind)) {
        this.log.info({ reason, status: info.status }, "starting the stopped connector");
        try {
          await this.manager.startConnector(spec.name);
        } catch (error) {
          // An engine that crashed can keep a stale task for the old container ("task ... already
          // exists") and then never start it again; a new container from the same spec starts.
          this.log.warn(
            { reason, err: error },
            "the stopped connector cannot start: recreating it",
          );
          await this.manager.createConnector(spec);
        }
        this.countRecovery(reason);
      }
    }
    return this.waitRunning();
  }

  /** A connector (re)started by the agent itself, not for a `start_tunnel` command. */
  private countRecovery(reason: string): void {
    if (reason !== "start_tunnel") this.metrics.connectorRestarts.inc({ reason: "recovery" });
  }

  /** Watches the connector (woken by its engine events) until it runs or the timeout passes. */
  private async waitRunning(): Promise<ConnectorInfo> {
    const deadline = Date.now() + this.settings.startTimeoutMs;
    for (;;) {
      const woken = new Promise<void>((resolve) => {
        this.eventWaiters.push(resolve);
        // Backstop for an event missed while the stream reconnects.
        setTimeout(resolve, 1000).unref();
      });
      const info = await this.manager.inspectConnector(this.settings.name);
      if (info?.running) {
        this.sendStatus(info);
        return info;
      }
      if (!info) {
        // Removed while we watched: the removal's own event queues a reconcile that recreates it.
        const missing = { name: this.settings.name, status: "missing", running: false };
        this.sendStatus(missing);
        return missing;
      }
      if (Date.now() > deadline || this.closed) {
        this.sendStatus({ ...info, error: info.error ?? "connector did not start in time" });
        return info;
      }
      await woken;
    }
  }

  private result(info: ConnectorInfo): Record<string, unknown> {
    if (!info.running) {
      throw new CommandError(`connector is ${info.status}${info.error ? `: ${info.error}` : ""}`);
    }
    return {
      tunnel_id: this.state?.id,
      status: info.status,
      container_id: info.id,
      service_id: info.service_id,
      task_id: info.task_id,
    };
  }

  private sendStatus(info: ConnectorInfo): void {
    const key = statusKey(info);
    if (key === this.lastReport) return;
    this.lastReport = key;
    setConnectorState(this.metrics, info.status);
    this.log.info(
      { connector: info.name, status: info.status, container_id: info.id, error: info.error },
      "connector status",
    );
    this.report({
      type: "tunnel_status",
      tunnel_id: this.state?.id,
      container: {
        id: info.id,
        name: info.name,
        status: info.status,
        version: connectorVersion(this.settings.image),
        mode: this.manager.mode,
        service_id: info.service_id,
        task_id: info.task_id,
        node_id: info.node_id,
        error: info.error?.slice(0, 4000),
      },
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const wake of this.eventWaiters.splice(0)) wake();
    await this.chain;
  }
}
