import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createRegistry, startMetricsServer } from "@dockflow/metrics";
import { type Logger, pino } from "pino";
import { ActivityLog } from "./activity-log.ts";
import { attachBridge } from "./bridge.ts";
import { ClientRegistry } from "./clients.ts";
import type { FlowManagerConfig } from "./config.ts";
import { ConnectionPool } from "./connections.ts";
import { DockerAdapter, dockerClient } from "./docker.ts";
import { EventWatcher } from "./event-watcher.ts";
import { DockerExec } from "./exec/docker-exec.ts";
import { ExecOperations } from "./exec/operations.ts";
import { ExecSessions } from "./exec/sessions.ts";
import type { HandlerTable } from "./handlers.ts";
import { healthHandler } from "./health.ts";
import { DockerLogSource } from "./logs/docker-logs.ts";
import { LogHub } from "./logs/log-hub.ts";
import { LogService } from "./logs/log-service.ts";
import { ManagedContainers } from "./managed-containers.ts";
import { Messaging } from "./messaging.ts";
import { createFlowMetrics, registerFlowGauges } from "./metrics.ts";
import { Notifier } from "./notifier.ts";
import { ContainerOperations } from "./operations.ts";
import { PathGuard } from "./path-guard.ts";
import { ResourceWatch } from "./resource-watch.ts";
import { SocketFolders } from "./socket-folders.ts";
import { StatsStreams } from "./stats.ts";
import { StatusStore } from "./status-store.ts";
import { StatusUpdates } from "./status-updates.ts";
import { DeliveryFolder } from "./webhooks/delivery-folder.ts";
import { FlowWebhooks } from "./webhooks/flow-webhooks.ts";

export const SERVER_VERSION = "0.1.0";
/** How long start-up waits for Docker before serving anyway. */
const STARTUP_DOCKER_WAIT_MS = 10_000;

export interface RunningFlowManager {
  /** `http://host:port` the Socket.IO server listens on. */
  url: string;
  port: number;
  /** `GET` this for the Prometheus metrics; undefined without METRICS_PORT. */
  metricsUrl: string | undefined;
  /** Closes client connections, streams and timers; managed containers keep running. */
  close(): Promise<void>;
}

/**
 * The composition root: builds every part from the parsed config, in dependency order (each
 * part gets what it uses in its options; nothing is bound later), and starts listening.
 */
export async function startFlowManager(
  config: FlowManagerConfig,
  options: { logger?: Logger } = {},
): Promise<RunningFlowManager> {
  const log = options.logger ?? pino({ level: config.logLevel, name: "flow-manager" });
  const child = (component: string) => log.child({ component });
  const docker = new DockerAdapter({
    docker: dockerClient(config.dockerHost),
    managerId: config.managerId,
  });
  const store = new StatusStore({ historySize: config.statusHistorySize });
  const registry = createRegistry();
  const metrics = createFlowMetrics(registry);
  const clients = new ClientRegistry();
  const activity = new ActivityLog({
    size: config.activityLogSize,
    log: child("audit"),
    publish: (entry, audience) => clients.emitToMany(audience, "activity_log", entry),
  });
  const webhooks = new FlowWebhooks({
    hooks: config.webhooks.hooks,
    folder: new DeliveryFolder({ dir: config.webhooks.dir, log: child("webhooks") }),
    managerId: config.managerId,
    policy: config.webhooks.policy,
    timeoutMs: config.webhooks.timeoutMs,
    clock: () => new Date(),
    log: child("webhooks"),
  });
  await webhooks.start();
  const notifier = new Notifier({
    clients,
    activity,
    liveMessageActivity: config.liveMessageActivity,
    webhooks,
    metrics,
  });
  const pool = new ConnectionPool({
    onUnasked: (containerId, envelope) => notifier.unaskedMessage(containerId, envelope),
    log: child("container-socket"),
  });
  const resources = new ResourceWatch({
    store,
    notifier,
    thresholds: {
      cpuWarnPercent: config.cpuWarnPercent,
      memoryWarnPercent: config.memoryWarnPercent,
      hysteresisPercent: config.warnHysteresisPercent,
    },
  });
  const stats = new StatsStreams({
    docker,
    onSample: (id, usage) => resources.onSample(id, usage),
    log: child("stats"),
  });
  const containers = new ManagedContainers({
    docker,
    managerId: config.managerId,
    store,
    folders: new SocketFolders({ root: config.socketRoot }),
    pool,
    stats,
    resources,
    clients,
    notifier,
    recoveryResetMs: config.recoveryResetMs,
    log: child("containers"),
  });
  const logSource = new DockerLogSource({ docker });
  const logHub = new LogHub({
    source: logSource,
    sink: clients,
    clientBufferBytes: config.logClientBufferBytes,
    log: child("logs"),
  });
  clients.onRemove((clientId) => logHub.removeClient(clientId));
  const messaging = new Messaging({
    containers,
    pool,
    clients,
    notifier,
    messageTimeoutMs: config.messageTimeoutMs,
    connectTimeoutMs: config.connectTimeoutMs,
    metrics,
  });
  const operations = new ContainerOperations({
    containers,
    store,
    messaging,
    clients,
    notifier,
    activity,
    paths: new PathGuard({ roots: config.allowedRoots }),
    logs: new LogService({ source: logSource, hub: logHub }),
    managerId: config.managerId,
    publishHost: config.publishHost,
    defaultLabels: config.defaultLabels,
    containerInit: config.containerInit,
    stopTimeoutSeconds: config.stopTimeoutSeconds,
    log: child("operations"),
  });
  const execSessions = new ExecSessions({
    limits: config.exec,
    docker: new DockerExec({ adapter: docker }),
    clients,
    activity,
    log: child("exec"),
  });
  clients.onRemove((clientId) => execSessions.endClient(clientId));
  const exec = new ExecOperations({
    enabled: config.exec.enabled,
    sessions: execSessions,
    store,
    clients,
  });
  const handlers: HandlerTable = {
    create_container: operations.create,
    start_container: operations.start,
    stop_container: operations.stop,
    restart_container: operations.restart,
    delete_container: operations.delete,
    update_container: operations.update,
    get_container_status: operations.status,
    list_containers: operations.list,
    get_activity_log: operations.activityLog,
    get_container_logs: operations.logs,
    subscribe_logs: operations.subscribeLogs,
    unsubscribe_logs: operations.unsubscribeLogs,
    exec_start: exec.exec_start,
    exec_input: exec.exec_input,
    exec_resize: exec.exec_resize,
    exec_close: exec.exec_close,
    send_message: messaging.send,
  };
  const watcher = new EventWatcher({
    docker,
    onEvent: (event) => {
      containers.onDockerEvent(event);
      logHub.onContainerEvent(event.Actor.ID, event.Action);
    },
    onResync: () => containers.resync(),
    log: child("docker-events"),
  });
  registerFlowGauges(registry, {
    containerStates: () => store.all().map((c) => c.state),
    clients: () => clients.count,
    logStreams: () => logHub.subscriptions,
    execSessions: () => execSessions.size,
  });
  const statusUpdates = new StatusUpdates({
    clients,
    store,
    intervalMs: config.statusIntervalMs,
  });

  const http = createServer(
    healthHandler({
      dockerReachable: () => docker.ping(),
      containersManaged: () => containers.size,
      clientsConnected: () => clients.count,
      version: SERVER_VERSION,
    }),
  );
  const io = attachBridge({
    http,
    handlers,
    clients,
    notifier,
    token: config.token,
    maxPayloadBytes: config.maxPayloadBytes,
    serverVersion: SERVER_VERSION,
    origins: config.originPolicy,
    log: child("socket.io"),
  });

  // Follow events first, then list: nothing that happens in between is missed. If Docker does not
  // answer, serve anyway (GET /health says degraded) while the watcher keeps retrying.
  watcher.start();
  let readyTimer: NodeJS.Timeout | undefined;
  const dockerUp = await Promise.race([
    watcher.ready.then(() => true),
    new Promise<false>((resolve) => {
      readyTimer = setTimeout(() => resolve(false), STARTUP_DOCKER_WAIT_MS);
    }),
  ]);
  clearTimeout(readyTimer);
  if (!dockerUp) log.warn("Docker is not answering yet; serving while the event watcher retries");
  statusUpdates.start();

  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(config.port, config.host, () => {
      http.off("error", reject);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;
  const metricsServer = await startMetricsServer(registry, config.metrics);
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;
  log.info({ url, manager_id: config.managerId, containers: store.size }, "flow manager listening");

  let closing: Promise<void> | null = null;
  return {
    url,
    port,
    metricsUrl: metricsServer.url,
    close() {
      closing ??= (async () => {
        watcher.stop();
        await new Promise<void>((resolve) => io.close(() => resolve()));
        await execSessions.close();
        if (http.listening) await new Promise<void>((resolve) => http.close(() => resolve()));
        await metricsServer.close();
        statusUpdates.stop();
        stats.close();
        logHub.close();
        pool.closeAll();
        await containers.close();
        await webhooks.close();
        log.info("flow manager stopped (managed containers left running)");
      })();
      return closing;
    },
  };
}
