import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type RunningAgent, startAgent } from "@dockflow/agent";
import { type CloudflareSandbox, createCloudflareSandbox } from "@dockflow/cloudflare-sandbox";
import { configFrom, startFlowManager } from "@dockflow/flow-manager";
import { startMaster } from "@dockflow/master";
import {
  createTestDatabase,
  dockerFor,
  removeLabelled,
  TEST_LABEL,
  testLabels,
  testRunId,
} from "@dockflow/testkit";
import type Docker from "dockerode";
import pino from "pino";

/** The console's production build, made by the global setup and served by the master. */
export const CONSOLE_DIST = resolve(dirname(fileURLToPath(import.meta.url)), "../../dist");

export const ADMIN_TOKEN = `console-admin-${randomBytes(12).toString("hex")}`;

/** An agent display name that would run script if it were ever rendered as HTML. */
export const XSS_AGENT_NAME = `agent <img src=x onerror="window.__xss='agent'">`;

export interface ConsoleStack {
  /** The master, serving the console at `/` and its API under /api/v2. */
  masterUrl: string;
  flowUrl: string;
  docker: Docker;
  /** The discovery scope label (`key=value`) the agent watches. */
  scopeLabel: string;
  /** The master's Cloudflare stand-in (in process), to change a tunnel behind the master's back. */
  cloudflare: CloudflareSandbox;
  /** Issues an agent key through the master's API (bearer admin token). */
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

const quiet = () => pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });

/**
 * The real services the console talks to: a master on PostgreSQL (with its embedded Cloudflare
 * stand-in) serving the console build, a flow manager on the engine that accepts the master's
 * origin and allows exec sessions (the console's terminal), and an agent registered with a key the master issued, watching a scope of its own.
 */
export async function startConsoleStack(): Promise<ConsoleStack> {
  const id = randomBytes(3).toString("hex");
  const docker = dockerFor();
  const database = await createTestDatabase("dockflow_console");
  const root = await mkdtemp(join(tmpdir(), "dfconsole-root-"));
  await chmod(root, 0o755);
  const socketRoot = await mkdtemp("/tmp/dfcs-");
  const masterPort = await freePort();
  const masterUrl = `http://127.0.0.1:${masterPort}`;

  const flow = await startFlowManager(
    configFrom({
      HOST: "127.0.0.1",
      PORT: "0",
      FLOW_MANAGER_ID: `console-${testRunId}-${id}`,
      FLOW_ALLOWED_ROOTS: root,
      FLOW_SOCKET_ROOT: socketRoot,
      FLOW_DEFAULT_LABELS: JSON.stringify(testLabels()),
      FLOW_STATUS_INTERVAL_MS: "1000",
      FLOW_STOP_TIMEOUT_SECONDS: "2",
      FLOW_CORS_ORIGINS: masterUrl,
      FLOW_EXEC_ENABLED: "true",
    }),
    { logger: quiet() },
  );

  const cloudflare = createCloudflareSandbox({ zones: ["example.com"] });
  const master = await startMaster(
    {
      PORT: String(masterPort),
      DATABASE_URL: database.url,
      MASTER_ADMIN_TOKEN: ADMIN_TOKEN,
      MASTER_CONSOLE_DIR: CONSOLE_DIST,
      MASTER_CONSOLE_FLOW_MANAGER_URL: flow.url,
      GRACE_PERIOD_SECONDS: "600",
      SWEEP_INTERVAL_SECONDS: "1",
      LOG_LEVEL: "silent",
    },
    { logger: quiet(), cloudflareFetch: cloudflare.fetch as typeof fetch },
  );

  const issued = await fetch(`${master.url}/api/v2/keys`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "console-test-agent" }),
  });
  if (issued.status !== 201 && issued.status !== 200) {
    throw new Error(`issuing the agent key: ${issued.status} ${await issued.text()}`);
  }
  const { key } = (await issued.json()) as { key: string };

  const agentData = await mkdtemp(join(tmpdir(), "dfconsole-agent-"));
  const scopeLabel = `dockflow.console-test=${id}`;
  const agent: RunningAgent = await startAgent(
    {
      MASTER_URL: master.url,
      AGENT_API_KEY: key,
      DATA_DIR: agentData,
      REPORT_INTERVAL_SECONDS: "2",
      COMMAND_POLL_WAIT_SECONDS: "1",
      CLOUDFLARED_IMAGE: "dockflow/cloudflared-standin:local",
      CLOUDFLARED_NETWORK: `dockflow-console-test-${id}`,
      CONNECTOR_NAME: `dockflow-console-test-${id}`,
      CONNECTOR_LABELS: `${TEST_LABEL}=${testRunId}`,
      DISCOVERY_SCOPE_LABEL: scopeLabel,
      AGENT_DISPLAY_NAME: XSS_AGENT_NAME,
      HEALTH_HOST: "127.0.0.1",
      HEALTH_PORT: "0",
      LOG_LEVEL: "silent",
    },
    { logger: quiet() },
  );

  return {
    masterUrl: master.url,
    flowUrl: flow.url,
    docker,
    scopeLabel,
    cloudflare,
    async close() {
      await agent.close();
      await flow.close();
      await master.close();
      await removeLabelled(docker);
      await database.drop();
      await rm(root, { recursive: true, force: true });
      await rm(socketRoot, { recursive: true, force: true });
      await rm(agentData, { recursive: true, force: true });
    },
  };
}
