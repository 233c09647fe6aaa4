import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { type Logger, pino } from "pino";
import { ActivityLog } from "./activity-log.ts";
import { attachBridge } from "./bridge.ts";
import { ClientRegistry } from "./clients.ts";
import type { FlowManagerConfig } from "./config.ts";
import { ConnectionPool } from "./connections.ts";
import { CrashRecovery } from "./crash-recovery.ts";
import { DockerAdapter, dockerClient } from "./docker.ts";
import { EventWatcher } from "./event-watcher.ts";
import { DockerExec } from "./exec/docker-exec.ts";
import { ExecOperations } from "./exec/operations.ts";
import { ExecSessions } from "./exec/sessions.ts";
import { healthHandler } from "./health.ts";
import { DockerLogSource } from "./logs/docker-logs.ts";
import { LogHub } from "./logs/log-hub.ts";
import { LogService } from "./logs/log-service.ts";
import { Monitor } from "./monitor.ts";
import { PathGuard } from "./path-guard.ts";
import { FlowService, type Operations } from "./service.ts";
import { StatsStreams } from "./stats.ts";
import { StatusStore } from "./status-store.ts";

export const SERVER_VERSION = "0.1.0";
/** How long start-up waits for Docker before serving anyway. */
const STARTUP_DOCKER_WAIT_MS = 10_000;

export interface RunningFlowManager {
  /** `http://host:port` the Socket.IO server listens on. */
  url: string;
  port: number;
  /** Closes client connections, streams and timers; managed containers keep running. */
  close(): Promise<void>;
}

/** Builds every part from the parsed config, wires them together and starts listening. */
export async function startFlowManager(
  config: FlowManagerConfig,
  options: { logger?: Logger } = {},
): Promise<RunningFlowManager> {
  const log = options.logger ?? pino({ level: config.logLevel, name: "flow-manager" });
  const docker = new DockerAdapter(dockerClient(config.dockerHost), config.managerId);
  const store = new StatusStore(config.statusHistorySize);
  const clients = new ClientRegistry();
  const activity = new ActivityLog(config.activityLogSize, log.child({ component: "audit" }));
  activity.publish = (entry, audience) => clients.emitToMany(audience, "activity_log", entry);

  const pool = new ConnectionPool(
    (containerId, envelope) => {
      // Unasked messages go to every client that created or messaged the container.
      const timestamp = new Date().toISOString();
      const owners = clients.ownersOf(containerId);
      for (const clientId of owners) {
        clients.emitTo(clientId, "message_received", {
          container_id: containerId,
          message: { command: envelope.command, data: envelope.data },
          timestamp,
        });
      }
      activity.record({
        type: "message_received",
        message: `unasked ${envelope.command} from ${containerId.slice(0, 12)}`,
        containerId,
        details: { command: envelope.command, unasked: true },
        audience: config.liveMessageActivity ? owners : "none",
      });
    },
    log.child({ component: "container-socket" }),
  );

  // The monitor and the recovery need each other: recovery restarts through Docker, then refreshes.
  let monitor: Monitor | null = null;
  const recovery = new CrashRecovery(
    async (id, attempt) => {
      await docker.start(id);
      await monitor?.refresh(id);
      activity.record({
        type: "crash_recovery",
        message: `restarted crashed container (attempt ${attempt})`,
        containerId: id,
        details: { attempt },
      });
    },
    config.recoveryResetMs,
    log.child({ component: "crash-recovery" }),
  );
  const stats = new StatsStreams(
    docker,
    (id, usage) => monitor?.onSample(id, usage),
    log.child({ component: "stats" }),
  );
  monitor = new Monitor(
    docker,
    store,
    stats,
    pool,
    recovery,
    clients,
    activity,
    {
      cpuWarnPercent: config.cpuWarnPercent,
      memoryWarnPercent: config.memoryWarnPercent,
      hysteresisPercent: config.warnHysteresisPercent,
    },
    log.child({ component: "monitor" }),
  );
  const activeMonitor = monitor;
  const logSource = new DockerLogSource({ docker });
  const logHub = new LogHub({
    source: logSource,
    sink: clients,
    clientBufferBytes: config.logClientBufferBytes,
    log: log.child({ component: "logs" }),
  });
  clients.onRemove((clientId) => logHub.removeClient(clientId));
  const watcher = new EventWatcher(
    docker,
    {
      onEvent: (event) => {
        activeMonitor.onDockerEvent(event);
        logHub.onContainerEvent(event.Actor.ID, event.Action);
      },
      onResync: () => activeMonitor.resync(),
    },
    log.child({ component: "docker-events" }),
  );
  const service = new FlowService(
    config,
    docker,
    store,
    activeMonitor,
    pool,
    recovery,
    clients,
    activity,
    new PathGuard(config.allowedRoots),
    log.child({ component: "service" }),
    new LogService({ source: logSource, hub: logHub }),
  );
  const execSessions = new ExecSessions({
    limits: config.exec,
    docker: new DockerExec({ adapter: docker }),
    clients,
    activity,
    log: log.child({ component: "exec" }),
  });
  const exec = new ExecOperations({
    enabled: config.exec.enabled,
    sessions: execSessions,
    store,
    clients,
  });
  clients.onRemove((clientId) => execSessions.endClient(clientId));
  const handlers: Operations = {
    create_container: service.create_container,
    start_container: service.start_container,
    stop_container: service.stop_container,
    restart_container: service.restart_container,
    update_container: service.update_container,
    delete_container: service.delete_container,
    send_message: service.send_message,
    get_container_status: service.get_container_status,
    list_containers: service.list_containers,
    get_activity_log: service.get_activity_log,
    get_container_logs: service.get_container_logs,
    subscribe_logs: service.subscribe_logs,
    unsubscribe_logs: service.unsubscribe_logs,
    exec_start: exec.exec_start,
    exec_input: exec.exec_input,
    exec_resize: exec.exec_resize,
    exec_close: exec.exec_close,
  };

  const http = createServer(
    healthHandler({
      dockerReachable: () => docker.ping(),
      containersManaged: () => store.size,
      clientsConnected: () => clients.count,
      version: SERVER_VERSION,
    }),
  );
  const io = attachBridge(
    http,
    handlers,
    clients,
    activity,
    {
      token: config.token,
      maxPayloadBytes: config.maxPayloadBytes,
      serverVersion: SERVER_VERSION,
      origins: config.originPolicy,
    },
    log.child({ component: "socket.io" }),
  );

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
  activeMonitor.startStatusUpdates(config.statusIntervalMs);

  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(config.port, config.host, () => {
      http.off("error", reject);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;
  log.info({ url, manager_id: config.managerId, containers: store.size }, "flow manager listening");

  let closing: Promise<void> | null = null;
  return {
    url,
    port,
    close() {
      closing ??= (async () => {
        watcher.stop();
        await new Promise<void>((resolve) => io.close(() => resolve()));
        await execSessions.close();
        if (http.listening) await new Promise<void>((resolve) => http.close(() => resolve()));
        stats.close();
        logHub.close();
        pool.closeAll();
        recovery.close();
        await activeMonitor.close();
        log.info("flow manager stopped (managed containers left running)");
      })();
      return closing;
    },
  };
}
