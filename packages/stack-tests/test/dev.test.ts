import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { dockerFor, removeLabelled, TEST_LABEL, testRunId, waitFor } from "@dockflow/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "./compose.ts";
import { freePort, getJson, statusOf } from "./net.ts";

const docker = dockerFor();

// `pnpm dev` as a newcomer runs it (embedded defaults: PGlite, generated admin token, Cloudflare
// stand-in, agent key through the master), on free ports and a temporary data folder, scoped to
// this run's labels so the agent never touches other tests' containers.
describe("pnpm dev", () => {
  let dataDir: string;
  let dev: ChildProcess;
  let output = "";
  let exited: Promise<void>;
  const ports = { master: 0, flowManager: 0, agent: 0, sandbox: 0, console: 0 };
  const url = (port: number) => `http://127.0.0.1:${port}`;

  beforeAll(async () => {
    dataDir = await mkdtemp("/tmp/dfdev-");
    ports.master = await freePort();
    ports.flowManager = await freePort();
    ports.agent = await freePort();
    ports.sandbox = await freePort();
    ports.console = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DEV_DATA_DIR: dataDir,
      DEV_MASTER_PORT: String(ports.master),
      DEV_FLOW_MANAGER_PORT: String(ports.flowManager),
      DEV_AGENT_PORT: String(ports.agent),
      DEV_SANDBOX_PORT: String(ports.sandbox),
      DEV_CONSOLE_PORT: String(ports.console),
      AGENT_DISPLAY_NAME: `dev-test-${testRunId}`,
      DISCOVERY_SCOPE_LABEL: `${TEST_LABEL}=${testRunId}`,
      CONNECTOR_NAME: `dev-test-${testRunId}`,
      CONNECTOR_LABELS: `${TEST_LABEL}=${testRunId}`,
      CLOUDFLARED_NETWORK: `dev-test-${testRunId}`,
      FLOW_MANAGER_ID: `dev-test-${testRunId}`,
      FLOW_DEFAULT_LABELS: `${TEST_LABEL}=${testRunId}`,
    };
    for (const name of [
      "DATABASE_URL",
      "MASTER_ADMIN_TOKEN",
      "CLOUDFLARE_API_TOKEN",
      "CLOUDFLARE_ACCOUNT_ID",
      "CLOUDFLARE_BASE_URL",
      "AGENT_API_KEY",
      "FLOW_ALLOWED_ROOTS",
      "FLOW_SOCKET_ROOT",
      "FLOW_MANAGER_TOKEN",
    ]) {
      delete env[name];
    }
    // Its own process group: the test stops pnpm, dev.ts and every service with one group signal.
    dev = spawn("pnpm", ["run", "-s", "dev"], {
      cwd: REPO_ROOT,
      env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    dev.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    dev.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    // "close": pnpm has exited and every process of the group has closed its end of the pipes.
    exited = new Promise((resolve) => dev.once("close", () => resolve()));
  });

  afterAll(async () => {
    if (dev?.pid) {
      try {
        process.kill(-dev.pid, "SIGKILL"); // whatever is left of the group
      } catch {
        // the group is gone
      }
    }
    await removeLabelled(docker);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("starts every service with embedded defaults and stops them all on SIGTERM", async () => {
    const health = {
      master: `${url(ports.master)}/health`,
      flowManager: `${url(ports.flowManager)}/health`,
      agent: `${url(ports.agent)}/healthz`,
      sandbox: `${url(ports.sandbox)}/client/v4/user/tokens/verify`,
      console: url(ports.console),
    };
    try {
      await waitFor(
        async () => {
          if (dev.exitCode !== null) throw new Error(`pnpm dev exited (${dev.exitCode})`);
          return (
            (await statusOf(health.master)) === 200 &&
            (await statusOf(health.flowManager)) === 200 &&
            (await statusOf(health.agent)) === 200 &&
            output.includes("dockflow is running")
          );
        },
        { timeoutMs: 240_000, intervalMs: 250, message: "all services healthy under pnpm dev" },
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}\n--- pnpm dev output ---\n${output}`);
    }
    // The Cloudflare stand-in runs, because no CLOUDFLARE_API_TOKEN is configured.
    expect(await statusOf(health.sandbox, { authorization: "Bearer dockflow-sandbox-token" })).toBe(
      200,
    );
    expect(output).toMatch(/NO CLOUDFLARE_API_TOKEN/);
    expect(output).toMatch(/default: master database: PGlite/);
    expect(output).toMatch(/generated MASTER_ADMIN_TOKEN=/);

    // The console's dev server: its page, and the master's API through its proxy.
    expect(output).toContain(`console       ${url(ports.console)}`);
    const page = await fetch(url(ports.console));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="root"></div>');
    expect(await statusOf(`${url(ports.console)}/api/v2/session`)).toBe(401);

    // The generated admin token was persisted, and the agent registered with the issued key.
    const adminToken = (await readFile(`${dataDir}/master-admin-token`, "utf8")).trim();
    const saved = JSON.parse(await readFile(`${dataDir}/agent-key.json`, "utf8")) as { id: string };
    const agent = await waitFor(
      async () => {
        const { agents } = await getJson<{
          agents: Array<{ display_name: string; key_id: string | null; status: string }>;
        }>(`${url(ports.master)}/api/v2/agents`, adminToken);
        return agents.find((a) => a.display_name === `dev-test-${testRunId}`);
      },
      { timeoutMs: 60_000, message: "the dev agent registered with the master" },
    );
    expect(agent.key_id).toBe(saved.id);
    expect(output).not.toContain(
      (JSON.parse(await readFile(`${dataDir}/agent-key.json`, "utf8")) as { key: string }).key,
    );

    // One group signal, as a terminal's Ctrl-C or a supervisor would send: everything stops.
    process.kill(-dev.pid!, "SIGTERM");
    await exited;
    expect(output).toContain("dev: stopped");
    // The flow manager buffers its log lines; the last ones still come out when it stops.
    expect(output).toMatch(/^flow +\| .*shutting down/m);
    for (const endpoint of Object.values(health)) {
      await waitFor(async () => (await statusOf(endpoint)) === undefined, {
        message: `${endpoint} closed`,
      });
    }
  });
});
