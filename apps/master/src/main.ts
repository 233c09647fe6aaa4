import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import { ConfigError } from "@dockflow/config";
import {
  createRegistry,
  type MetricsServer,
  metricsListenOptions,
  startMetricsServer,
} from "@dockflow/metrics";
import { serve } from "@hono/node-server";
import type { Kysely } from "kysely";
import type pino from "pino";
import type { Registry } from "prom-client";
import { createGuards } from "./auth/guards.ts";
import { AgentKeyCache } from "./auth/key-cache.ts";
import { RateLimiter } from "./auth/rate-limiter.ts";
import {
  type CloudflareGateway,
  type CloudflareGatewayOptions,
  createCloudflareGateway,
} from "./cloudflare/index.ts";
import { type Config, parseConfig } from "./config.ts";
import { openDatabase } from "./db/connect.ts";
import { migrate } from "./db/migrations.ts";
import { createLocalNotifier, createPostgresNotifier } from "./db/notifier.ts";
import type { Database } from "./db/schema.ts";
import { createApp } from "./http/app.ts";
import { defaultConsoleDir } from "./http/console-site.ts";
import type { ApiDeps } from "./http/deps.ts";
import type { MasterApp } from "./http/types.ts";
import { createLogger } from "./logger.ts";
import { createMasterMetrics, registerMasterGauges } from "./metrics.ts";
import { CommandQueue } from "./queue/command-queue.ts";
import { AgentService } from "./services/agents.ts";
import { EventService } from "./services/events.ts";
import { KeyService } from "./services/keys.ts";
import { Reconciler } from "./services/reconciler.ts";
import { SessionService } from "./services/sessions.ts";
import { StateService } from "./services/state.ts";
import { Sweeper } from "./services/sweeper.ts";
import { TunnelIngressService } from "./services/tunnel-ingress.ts";
import { ChangeHub } from "./stream/change-hub.ts";
import { Deliverer } from "./webhooks/deliverer.ts";
import { NotificationSource } from "./webhooks/notification-source.ts";
import { WebhookService } from "./webhooks/service.ts";

export interface MasterOverrides {
  /** Time source for heartbeats, grace periods, visibility timeouts and rate limits. */
  clock?: () => Date;
  /** fetch for the Cloudflare SDK (e.g. an in-process `@dockflow/cloudflare-sandbox`). */
  cloudflareFetch?: typeof fetch;
  /** Builds the Cloudflare gateway (tests), given the master's hooks; takes precedence over the configuration. */
  gateway?: (hooks: Pick<CloudflareGatewayOptions, "onRequest">) => CloudflareGateway;
  logger?: pino.Logger;
}

export interface Master extends ApiDeps {
  config: Config;
  db: Kysely<Database>;
  app: MasterApp;
  logger: pino.Logger;
  sweeper: Sweeper;
  /** The Prometheus metrics of this master (served by `runMaster` on METRICS_HOST:METRICS_PORT). */
  registry: Registry;
  /** Sends queued webhook deliveries. */
  deliverer: Deliverer;
  /** Turns recorded changes into webhook deliveries. */
  notifications: NotificationSource;
  /** Runs background loops (startup reconcile, sweep, periodic reconcile). */
  startBackground(): void;
  /** Stops loops, ends long polls and closes the database (not the HTTP server). */
  close(): Promise<void>;
}

async function cloudflareGateway(
  config: Config,
  overrides: MasterOverrides,
  logger: pino.Logger,
  onRequest: (operation: string, status: string) => void,
): Promise<CloudflareGateway> {
  if (overrides.gateway) return overrides.gateway({ onRequest });
  // The gateway makes its own `component: "cloudflare"` child logger.
  if (config.CLOUDFLARE_API_TOKEN && config.CLOUDFLARE_ACCOUNT_ID) {
    return createCloudflareGateway({
      apiToken: config.CLOUDFLARE_API_TOKEN,
      accountId: config.CLOUDFLARE_ACCOUNT_ID,
      ...(config.CLOUDFLARE_BASE_URL ? { baseURL: config.CLOUDFLARE_BASE_URL } : {}),
      ...(overrides.cloudflareFetch ? { fetch: overrides.cloudflareFetch } : {}),
      logger,
      onRequest,
    });
  }
  // No Cloudflare account configured: run against the in-process stand-in, and say so loudly.
  const { createCloudflareSandbox, DEFAULT_ACCOUNT_ID, DEFAULT_TOKEN, IN_PROCESS_BASE_URL } =
    await import("@dockflow/cloudflare-sandbox");
  if (overrides.cloudflareFetch) {
    return createCloudflareGateway({
      apiToken: DEFAULT_TOKEN,
      accountId: DEFAULT_ACCOUNT_ID,
      baseURL: IN_PROCESS_BASE_URL,
      fetch: overrides.cloudflareFetch,
      logger,
      onRequest,
    });
  }
  const zones = config.CLOUDFLARE_SANDBOX_ZONES;
  const sandbox = createCloudflareSandbox({ zones });
  logger.warn(
    { zones },
    "NO CLOUDFLARE_API_TOKEN: the master runs against an in-process Cloudflare STAND-IN; nothing reaches Cloudflare",
  );
  return createCloudflareGateway({
    apiToken: sandbox.token,
    accountId: sandbox.accountId,
    baseURL: sandbox.baseURL,
    fetch: sandbox.fetch as typeof fetch,
    logger,
    onRequest,
  });
}

/** The composition root: builds every part of the master from the parsed configuration. */
export async function createMaster(
  config: Config,
  overrides: MasterOverrides = {},
): Promise<Master> {
  const logger = overrides.logger ?? createLogger(config.LOG_LEVEL);
  const clock = overrides.clock ?? (() => new Date());
  const handle = await openDatabase({
    url: config.DATABASE_URL,
    dataDir: config.DATA_DIR,
    poolSize: config.DATABASE_POOL_SIZE,
  });
  const { db } = handle;
  try {
    await migrate(db);
  } catch (error) {
    await handle.close();
    throw error;
  }
  logger.info({ database: handle.kind }, "database ready");

  const notifier =
    handle.kind === "postgres" && config.DATABASE_URL
      ? createPostgresNotifier(config.DATABASE_URL, logger.child({ component: "notifier" }))
      : createLocalNotifier(handle.pglite);
  const registry = createRegistry();
  const metrics = createMasterMetrics(registry);
  const stream = new ChangeHub({
    db,
    logger: logger.child({ component: "stream" }),
    maxBufferedBytes: config.MASTER_STREAM_BUFFER_BYTES,
    pingIntervalMs: config.MASTER_STREAM_PING_SECONDS * 1000,
  });
  registerMasterGauges(registry, { db, streamClients: () => stream.size });
  await stream.start();
  const deliverer = new Deliverer({
    db,
    clock,
    logger: logger.child({ component: "webhooks" }),
    policy: {
      baseDelayMs: config.WEBHOOK_BACKOFF_SECONDS * 1000,
      maxDelayMs: config.WEBHOOK_BACKOFF_MAX_SECONDS * 1000,
      windowMs: config.WEBHOOK_RETRY_SECONDS * 1000,
    },
    timeoutMs: config.WEBHOOK_TIMEOUT_SECONDS * 1000,
    pollIntervalMs: config.WEBHOOK_POLL_SECONDS * 1000,
  });
  const notifications = new NotificationSource({
    db,
    clock,
    logger: logger.child({ component: "webhooks" }),
    onQueued: () => deliverer.wake(),
  });
  notifier.onChanges(() => {
    stream.notified();
    notifications.changed();
  });
  await notifier.start();

  const keyCache = new AgentKeyCache({
    ttlMs: config.AGENT_KEY_CACHE_SECONDS * 1000,
    maxEntries: 100_000,
    listening: () => config.AGENT_KEY_CACHE_SECONDS > 0 && notifier.healthy(),
  });
  const keysChanged = () => keyCache.invalidate();
  notifier.onKeysChanged(keysChanged);

  const gateway = await cloudflareGateway(config, overrides, logger, (operation, status) =>
    metrics.cloudflareRequests.inc({ operation, status }),
  );
  const queue = new CommandQueue({
    metrics,
    db,
    notifier,
    clock,
    visibilityTimeoutMs: config.COMMAND_VISIBILITY_TIMEOUT_SECONDS * 1000,
  });
  const reconciler = new Reconciler({
    db,
    gateway,
    queue,
    clock,
    logger: logger.child({ component: "reconciler" }),
    tunnelNamePrefix: config.TUNNEL_NAME_PREFIX,
    metrics,
  });
  const sessions = new SessionService({
    db,
    clock,
    adminToken: config.MASTER_ADMIN_TOKEN,
    ttlMs: config.MASTER_SESSION_TTL * 1000,
  });
  const agents = new AgentService({
    db,
    clock,
    logger,
    region: config.MASTER_REGION,
    onRemoved: () => reconciler.schedule(),
    onKeysChanged: keysChanged,
  });
  const events = new EventService({
    db,
    clock,
    logger,
    queue,
    labelPrefix: config.LABEL_PREFIX,
    gracePeriodMs: config.GRACE_PERIOD_SECONDS * 1000,
    metrics,
    onRulesChanged: () => reconciler.schedule(),
    views: (executor, rows) => agents.views(executor, rows),
  });
  const sweeper = new Sweeper({
    db,
    clock,
    logger,
    offlineAfterMs: config.AGENT_OFFLINE_AFTER_SECONDS * 1000,
    changeRetentionMs: config.MASTER_CHANGE_RETENTION_SECONDS * 1000,
    views: (executor, rows) => agents.views(executor, rows),
    pruneSessions: () => sessions.prune(),
    onGraceExpired: () => reconciler.schedule(),
  });
  const now = () => clock().getTime();
  const guards = createGuards({
    db,
    keyCache,
    adminToken: config.MASTER_ADMIN_TOKEN,
    authFailures: new RateLimiter(config.AUTH_FAILURE_LIMIT_PER_MINUTE, 60_000, now),
    registrations: new RateLimiter(config.REGISTER_RATE_LIMIT_PER_MINUTE, 60_000, now),
    trustProxy: config.TRUST_PROXY,
    sessions,
  });
  const deps: ApiDeps = {
    guards,
    agents,
    events,
    keys: new KeyService(db, clock, keysChanged),
    queue,
    reconciler,
    state: new StateService(db),
    tunnelIngress: new TunnelIngressService({ db, gateway }),
    sessions,
    stream,
    webhooks: new WebhookService({ db, clock, onQueued: () => deliverer.wake() }),
    console: { flow_manager_url: config.MASTER_CONSOLE_FLOW_MANAGER_URL ?? null },
    longPollMaxSeconds: config.LONG_POLL_MAX_SECONDS,
  };
  const consoleDir = config.MASTER_CONSOLE_DIR ?? defaultConsoleDir(import.meta.url);
  const app = createApp({ deps, logger, bodyLimitBytes: config.BODY_LIMIT_BYTES, consoleDir });
  logger.info({ console_dir: consoleDir ?? null }, "console build");

  return {
    ...deps,
    config,
    db,
    app,
    logger,
    sweeper,
    registry,
    deliverer,
    notifications,
    startBackground() {
      reconciler.start(config.RECONCILE_INTERVAL_SECONDS * 1000);
      sweeper.start(config.SWEEP_INTERVAL_SECONDS * 1000);
      deliverer.start();
      notifications.changed();
    },
    async close() {
      queue.close();
      stream.close();
      await notifications.stop();
      await deliverer.stop();
      await sweeper.stop();
      await reconciler.stop();
      await notifier.close();
      await handle.close();
    },
  };
}

export interface RunningMaster {
  url: string;
  /** `GET` this for the Prometheus metrics; undefined without METRICS_PORT. */
  metricsUrl: string | undefined;
  master: Master;
  close(): Promise<void>;
}

/** Builds the master, starts its loops and listens on HOST:PORT (PORT 0: any free port). */
export async function runMaster(
  config: Config,
  overrides: MasterOverrides = {},
): Promise<RunningMaster> {
  const master = await createMaster(config, overrides);
  master.startBackground();
  const server = serve({ fetch: master.app.fetch, port: config.PORT, hostname: config.HOST });
  let metricsServer: MetricsServer;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("listening", resolve);
      server.once("error", reject);
    });
    metricsServer = await startMetricsServer(master.registry, metricsListenOptions(config));
  } catch (error) {
    server.close();
    await master.close();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const host = config.HOST.includes(":") ? `[${config.HOST}]` : config.HOST;
  const url = `http://${host}:${port}`;
  master.logger.info({ url, metrics: metricsServer.url }, "master listening");
  let closing: Promise<void> | undefined;
  return {
    url,
    metricsUrl: metricsServer.url,
    master,
    close() {
      closing ??= (async () => {
        master.queue.close();
        master.stream.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          if ("closeAllConnections" in server) server.closeAllConnections();
        });
        await metricsServer.close();
        await master.close();
      })();
      return closing;
    },
  };
}

async function main() {
  let config: Config;
  try {
    config = parseConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const running = await runMaster(config);
  const stop = (signal: string) => {
    running.master.logger.info({ signal }, "shutting down");
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", () => stop("SIGINT"));
  process.once("SIGTERM", () => stop("SIGTERM"));
}

const entry = process.argv[1];
if (entry && import.meta.url === pathToFileURL(entry).href) {
  main().catch((error: unknown) => {
    process.stderr.write(
      `master failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  });
}
