import { setMaxListeners } from "node:events";
import { mkdir } from "node:fs/promises";
import { createRegistry, metricsListenOptions, startMetricsServer } from "@dockflow/metrics";
import type pino from "pino";
import { Backoff } from "./backoff.ts";
import { CommandLoop } from "./commands.ts";
import type { AgentConfig } from "./config.ts";
import { ConnectorManager } from "./connector.ts";
import { Discovery } from "./discovery.ts";
import { createDockerClient } from "./docker/client.ts";
import { EngineEvents } from "./docker/events.ts";
import type { DockerManager, Workload } from "./docker/manager.ts";
import { detectMode, type ModeInfo } from "./docker/mode.ts";
import { StandaloneDockerManager } from "./docker/standalone.ts";
import { SwarmDockerManager } from "./docker/swarm.ts";
import { startHealthServer } from "./health.ts";
import { MasterClient } from "./master-client.ts";
import { createAgentMetrics, failureReason, registerAgentGauges } from "./metrics.ts";
import { Outbox } from "./outbox.ts";
import { Registration } from "./registration.ts";
import { StateFiles } from "./state-files.ts";
import { AGENT_VERSION } from "./version.ts";

export interface AgentDeps {
  logger: pino.Logger;
  /** fetch used to reach the master (tests may wrap it). */
  fetch?: typeof fetch;
}

export interface RunningAgent {
  mode: ModeInfo;
  healthUrl: string;
  /** `GET` this for the Prometheus metrics; undefined without METRICS_PORT. */
  metricsUrl: string | undefined;
  /** The agent id once registered. */
  readonly agentId: string | undefined;
  /** Enabled workloads currently known on this node. */
  workloads(): Workload[];
  /** Events waiting for the master. */
  readonly queuedEvents: number;
  /** The connector's desired state as saved (without the token). */
  tunnel(): ConnectorManager["desired"];
  close(): Promise<void>;
}

/** Connects to the engine, retrying with backoff until it answers (or shutdown). */
async function connectEngine(
  config: AgentConfig,
  log: pino.Logger,
  signal: AbortSignal,
): Promise<{ docker: ReturnType<typeof createDockerClient>; mode: ModeInfo }> {
  const docker = createDockerClient(config.DOCKER_HOST, 60_000);
  const backoff = new Backoff(250, 10_000);
  for (;;) {
    try {
      return { docker, mode: await detectMode(docker, config.DOCKER_MODE) };
    } catch (error) {
      if ((error as Error).message.startsWith("DOCKER_MODE=")) throw error;
      if (signal.aborted) throw new Error("agent is shutting down");
      log.warn({ err: (error as Error).message }, "Docker engine unreachable; retrying");
      await backoff.wait(signal);
    }
  }
}

/** Builds every part of the agent from its parsed configuration and starts it. */
export async function createAgent(config: AgentConfig, deps: AgentDeps): Promise<RunningAgent> {
  const log = deps.logger;
  const shutdown = new AbortController();
  const signal = shutdown.signal;
  // Every request and wait listens to the shutdown signal.
  setMaxListeners(0, signal);
  const files = new StateFiles(config.DATA_DIR);
  await mkdir(config.DATA_DIR, { recursive: true, mode: 0o700 });

  const { docker, mode } = await connectEngine(config, log, signal);
  log.info(
    { mode: mode.mode, node_id: mode.nodeId, node_role: mode.nodeRole, engine: mode.engineVersion },
    "Docker engine detected",
  );
  const managerOptions = {
    labelPrefix: config.LABEL_PREFIX,
    scopeLabel: config.DISCOVERY_SCOPE_LABEL,
  };
  const manager: DockerManager =
    mode.mode === "swarm" && mode.nodeId
      ? new SwarmDockerManager({
          ...managerOptions,
          docker,
          nodeId: mode.nodeId,
          role: mode.nodeRole ?? "manager",
          log: log.child({ part: "swarm" }),
        })
      : new StandaloneDockerManager(docker, managerOptions);

  const registry = createRegistry();
  const metrics = createAgentMetrics(registry);
  let lastContact: Date | undefined;
  const client = new MasterClient({
    baseUrl: config.MASTER_URL,
    apiKey: config.AGENT_API_KEY,
    fetch: deps.fetch,
    onContact: () => {
      lastContact = new Date();
    },
    onFailure: (status) => metrics.masterRequestFailures.inc({ reason: failureReason(status) }),
  });
  const registration = new Registration(
    client,
    files,
    () => ({
      display_name: config.AGENT_DISPLAY_NAME,
      version: AGENT_VERSION,
      mode: mode.mode,
      node_info: {
        ...(mode.nodeId ? { node_id: mode.nodeId } : {}),
        ...(mode.nodeRole ? { node_role: mode.nodeRole } : {}),
        hostname: mode.hostname,
      },
    }),
    log,
    signal,
  );
  const outbox = new Outbox({
    capacity: config.EVENT_BUFFER_SIZE,
    agentId: () => registration.ensure(),
    send: (agentId, event, s) => client.postEvent(agentId, event, s),
    reregister: () => registration.invalidate(),
    log,
    signal,
  });
  const send = (event: Parameters<Outbox["push"]>[0]) =>
    outbox.push({ ...event, mode: mode.mode } as Parameters<Outbox["push"]>[0]);

  const connector = new ConnectorManager(
    manager,
    files,
    {
      name: config.CONNECTOR_NAME,
      image: config.CLOUDFLARED_IMAGE,
      network: config.CLOUDFLARED_NETWORK,
      labelPrefix: config.LABEL_PREFIX,
      extraLabels: config.CONNECTOR_LABELS,
      startTimeoutMs: 60_000,
    },
    send,
    log.child({ part: "connector" }),
    metrics,
  );
  const discovery = new Discovery(
    manager,
    {
      started: (workload) => {
        log.info(
          { id: workload.id, name: workload.name, task_id: workload.task_id },
          "workload started",
        );
        send({ type: "container_start", container: workload });
      },
      stopped: (workload, status) => {
        log.info(
          { id: workload.id, name: workload.name, task_id: workload.task_id },
          "workload stopped",
        );
        send({ type: "container_stop", container: { ...workload, status } });
      },
    },
    log.child({ part: "discovery" }),
  );
  const commands = new CommandLoop(
    client,
    registration,
    connector,
    files,
    send,
    config.COMMAND_POLL_WAIT_SECONDS,
    log.child({ part: "commands" }),
    signal,
  );

  await registration.loadStoredId();
  await connector.load();
  await commands.load();

  let engineReachable = true;
  let engineEventsConnectedBefore = false;
  const events = new EngineEvents(
    createDockerClient(config.DOCKER_HOST),
    manager.eventFilters,
    {
      event: (event) => {
        discovery.handleEvent(event);
        connector.handleEvent(event);
      },
      connected: () => {
        engineReachable = true;
        if (engineEventsConnectedBefore) metrics.engineEventReconnects.inc();
        engineEventsConnectedBefore = true;
        void discovery.resync().catch(() => undefined);
        void connector.reconcile("engine events connected");
      },
      disconnected: () => {
        engineReachable = false;
      },
    },
    log.child({ part: "events" }),
  );

  const statusReport = async () => {
    send({ type: "heartbeat" });
    try {
      const workloads = await discovery.resync();
      send({ type: "status_report", container: { containers: workloads } });
      metrics.statusReports.inc();
    } catch (error) {
      log.warn({ err: (error as Error).message }, "status report: cannot list workloads");
    }
    void connector.reconcile("periodic check");
  };

  const health = await startHealthServer(config.HEALTH_HOST, config.HEALTH_PORT, async () => {
    engineReachable = await manager.ping();
    return {
      engineReachable,
      registered: registration.isRegistered,
      agentId: registration.id,
      mode: mode.mode,
      lastMasterContact: lastContact,
      eventsConnected: events.connected,
      queuedEvents: outbox.size,
      maxContactAgeMs:
        Math.max(3 * config.REPORT_INTERVAL_SECONDS, config.COMMAND_POLL_WAIT_SECONDS + 30) * 1000,
    };
  });

  registerAgentGauges(registry, {
    workloads: () => discovery.workloads.length,
    outboxDepth: () => outbox.size,
  });
  const metricsServer = await startMetricsServer(registry, metricsListenOptions(config));

  // Start-up: the saved tunnel is reconciled at once, whether or not the master answers.
  void connector.reconcile("start-up");
  events.start();
  outbox.start();
  commands.start();
  void registration
    .ensure()
    .then(() => statusReport())
    .catch(() => undefined);
  const timer = setInterval(() => void statusReport(), config.REPORT_INTERVAL_SECONDS * 1000);
  log.info({ health: health.url, master: config.MASTER_URL }, "agent started");

  let closing: Promise<void> | undefined;
  return {
    mode,
    healthUrl: health.url,
    metricsUrl: metricsServer.url,
    get agentId() {
      return registration.id;
    },
    get queuedEvents() {
      return outbox.size;
    },
    workloads: () => discovery.workloads,
    tunnel: () => connector.desired,
    close() {
      closing ??= (async () => {
        clearInterval(timer);
        // Give queued events a moment to reach the master, then stop everything.
        await Promise.race([outbox.idle(), new Promise((r) => setTimeout(r, 2000).unref())]);
        shutdown.abort();
        await events.close();
        await connector.close();
        await Promise.all([outbox.close(), commands.close()]);
        await Promise.all([health.close(), metricsServer.close()]);
        log.info("agent stopped");
      })();
      return closing;
    },
  };
}
