import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createTestDatabase,
  dockerFor,
  removeLabelled,
  runLabelledContainer,
  TEST_LABEL,
  type TestDatabase,
  testRunId,
  waitFor,
} from "@dockflow/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  adminToken,
  freePort,
  MasterClient,
  masterEnv,
  type SandboxHandle,
  type ServiceProcess,
  spawnService,
  startSandbox,
  waitHealthy,
} from "../src/master-harness.ts";

/**
 * Master and agent as child processes (their real entry points and loggers, at trace level) on
 * the real Docker engine, with the Cloudflare stand-in over loopback:
 * - a labelled container becomes an ingress rule, a CNAME and a running connector;
 * - the agent killed with SIGKILL and restarted: same agent id, the same connector, no second tunnel;
 * - the master unreachable for "minutes" (compressed: the agent reports every second and the
 *   master marks agents offline after 2 s, so the outage spans many report and offline periods):
 *   what changed meanwhile reaches the master when it is back, nothing is lost;
 * - every log line of both processes, and every API response body the operator saw (all but the
 *   key-issue response), is scanned for the admin token, the agent key, the Cloudflare API token
 *   and the tunnel token (and its secret).
 */

const docker = dockerFor();
const id = randomBytes(3).toString("hex");
const SCOPE = `dockflow.rel-e2e=${id}`;
const CONNECTOR = `dockflow-rel-connector-${id}`;
const NETWORK = `dockflow-rel-net-${id}`;

function runLabelled(name: string, hostname: string) {
  const [scopeKey, scopeValue] = SCOPE.split("=") as [string, string];
  return runLabelledContainer(docker, name, {
    [scopeKey]: scopeValue,
    "dockflare.enable": "true",
    "dockflare.hostname": hostname,
    "dockflare.port": "8080",
  });
}

describe("master and agent end to end: kills, outage, secrets", () => {
  let db: TestDatabase;
  let cf: SandboxHandle;
  let dataDir: string;
  let masterEnvironment: Record<string, string>;
  let agentEnvironment: Record<string, string>;
  let client: MasterClient;
  let agentKey: string;
  const masters: ServiceProcess[] = [];
  const agents: ServiceProcess[] = [];

  const startMasterProcess = async () => {
    const proc = spawnService("master", masterEnvironment);
    masters.push(proc);
    await waitHealthy(client.url);
    return proc;
  };
  const startAgentProcess = () => {
    const proc = spawnService("agent", agentEnvironment);
    agents.push(proc);
    return proc;
  };
  const cfNames = () => [...cf.sandbox.state.dnsRecords.values()].map((r) => r.name).sort();
  const connector = async () =>
    (await docker.listContainers({ all: true, filters: JSON.stringify({ name: [CONNECTOR] }) }))[0];

  beforeAll(async () => {
    db = await createTestDatabase("dockflow_rel_e2e");
    cf = await startSandbox();
    dataDir = await mkdtemp(join(tmpdir(), "dockflow-rel-agent-"));
    const port = await freePort();
    const admin = adminToken();
    client = new MasterClient(`http://127.0.0.1:${port}`, admin);
    masterEnvironment = masterEnv({
      databaseUrl: db.url,
      adminToken: admin,
      cloudflare: cf.env,
      port,
      extra: {
        LOG_LEVEL: "trace",
        AGENT_OFFLINE_AFTER_SECONDS: "2",
        SWEEP_INTERVAL_SECONDS: "1",
        GRACE_PERIOD_SECONDS: "2",
        RECONCILE_INTERVAL_SECONDS: "2",
        LONG_POLL_MAX_SECONDS: "2",
      },
    });
    await startMasterProcess();
    agentKey = (await client.issueKey("e2e")).key;
    agentEnvironment = {
      MASTER_URL: client.url,
      AGENT_API_KEY: agentKey,
      DATA_DIR: dataDir,
      DOCKER_MODE: "standalone",
      REPORT_INTERVAL_SECONDS: "1",
      COMMAND_POLL_WAIT_SECONDS: "1",
      CLOUDFLARED_IMAGE: "dockflow/cloudflared-standin:local",
      CLOUDFLARED_NETWORK: NETWORK,
      CONNECTOR_NAME: CONNECTOR,
      CONNECTOR_LABELS: `${TEST_LABEL}=${testRunId}`,
      DISCOVERY_SCOPE_LABEL: SCOPE,
      AGENT_DISPLAY_NAME: `rel e2e ${id}`,
      HEALTH_HOST: "127.0.0.1",
      HEALTH_PORT: "0",
      LOG_LEVEL: "trace",
      ...(process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {}),
    };
  }, 120_000);

  afterAll(async () => {
    for (const proc of [...agents, ...masters]) await proc.stop("SIGKILL");
    await removeLabelled(docker);
    await docker
      .getNetwork(NETWORK)
      .remove()
      .catch(() => undefined);
    await cf?.close();
    await db?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }, 120_000);

  it("survives agent SIGKILL and a master outage, loses nothing, and never shows a secret", async () => {
    let agent = startAgentProcess();
    await runLabelled(`rel-e2e-a-${id}`, `a-${id}.example.com`);
    await waitFor(() => cfNames().includes(`a-${id}.example.com`), {
      timeoutMs: 90_000,
      message: "CNAME of the first container",
    });
    const first = await waitFor(
      async () => {
        const c = await connector();
        return c?.State === "running" ? c : undefined;
      },
      { timeoutMs: 90_000, message: "connector running" },
    );
    const agentsBefore = await client.ok<{ agents: { agent_id: string }[] }>(
      "GET",
      "/api/v2/agents",
    );
    expect(agentsBefore.agents).toHaveLength(1);
    const agentId = agentsBefore.agents[0]!.agent_id;

    // Agent SIGKILL and restart: the same identity, the connector kept, no second tunnel.
    await agent.stop("SIGKILL");
    agent = startAgentProcess();
    await runLabelled(`rel-e2e-b-${id}`, `b-${id}.example.com`);
    await waitFor(() => cfNames().includes(`b-${id}.example.com`), {
      timeoutMs: 90_000,
      message: "CNAME of the container started after the agent restart",
    });
    const agentsAfter = await client.ok<{ agents: { agent_id: string }[] }>(
      "GET",
      "/api/v2/agents",
    );
    expect(agentsAfter.agents.map((a) => a.agent_id)).toEqual([agentId]);
    expect((await connector())?.Id).toBe(first.Id);
    expect(
      [...cf.sandbox.state.tunnels.values()].filter((t) => t.deleted_at === null),
    ).toHaveLength(1);

    // The master away for many report and offline periods; meanwhile a container starts and one stops.
    const master = masters[masters.length - 1]!;
    await master.stop("SIGKILL");
    await runLabelled(`rel-e2e-c-${id}`, `c-${id}.example.com`);
    await docker.getContainer(`rel-e2e-a-${id}`).stop({ t: 0 });
    await waitFor(
      () => agent.lines.filter((l) => /master|retry|unreachable|ECONNREFUSED/i.test(l)).length > 5,
      {
        timeoutMs: 60_000,
        message: "the agent noticing the master is away, repeatedly",
      },
    );
    await startMasterProcess();
    await waitFor(
      () => {
        const names = cfNames();
        return names.includes(`c-${id}.example.com`) && !names.includes(`a-${id}.example.com`);
      },
      {
        timeoutMs: 90_000,
        message: "c added and a removed (after its grace period) once the master is back",
      },
    );
    expect(cfNames()).toEqual([`b-${id}.example.com`, `c-${id}.example.com`]);
    const online = await waitFor(
      async () => {
        const detail = await client.ok<{ status: string }>("GET", `/api/v2/agents/${agentId}`);
        return detail.status === "online" ? detail : undefined;
      },
      { message: "agent back online" },
    );
    expect(online.status).toBe("online");
    expect(
      [...cf.sandbox.state.tunnels.values()].filter((t) => t.deleted_at === null),
    ).toHaveLength(1);

    // Provoke the error paths with the secrets in hand: wrong and near-miss credentials.
    const tunnel = [...cf.sandbox.state.tunnels.values()].find((t) => t.deleted_at === null)!;
    const tokenResponse = await fetch(
      `${cf.listening.url}/accounts/${cf.sandbox.accountId}/cfd_tunnel/${tunnel.id}/token`,
      {
        headers: { authorization: `Bearer ${cf.sandbox.token}` },
      },
    );
    const tunnelToken = ((await tokenResponse.json()) as { result: string }).result;
    const tunnelSecret = (
      JSON.parse(Buffer.from(tunnelToken, "base64").toString("utf8")) as { s: string }
    ).s;
    for (const token of [`${agentKey}x`, `${client.admin}x`, tunnelToken]) {
      await client.request("GET", "/api/v2/agents", { token });
      await client.request("POST", `/api/v2/agents/${agentId}/events`, {
        token,
        json: { type: "heartbeat" },
      });
    }
    await client.request("POST", "/api/v2/agents/register", {
      token: agentKey,
      json: { display_name: agentKey, version: client.admin.slice(0, 60), mode: "bogus" },
    });
    // Operator reads (their bodies are scanned below), including the agent's commands after acknowledgement.
    await client.ok("GET", `/api/v2/agents/${agentId}`);
    await client.ok("GET", "/api/v2/tunnels");
    await client.ok("GET", "/api/v2/rules");
    await client.ok("GET", "/api/v2/keys");
    await client.ok("POST", "/api/v2/reconcile");
    await client.request("GET", "/api/v2/openapi.json");

    const secrets: Record<string, string> = {
      admin_token: client.admin,
      agent_key: agentKey,
      cloudflare_api_token: cf.sandbox.token,
      tunnel_token: tunnelToken,
      tunnel_secret: tunnelSecret,
    };
    const sources: Record<string, string> = {
      master_logs: masters.flatMap((m) => m.lines).join("\n"),
      agent_logs: agents.flatMap((a) => a.lines).join("\n"),
      api_responses: client.bodies.join("\n"),
    };
    const leaks: string[] = [];
    for (const [source, text] of Object.entries(sources)) {
      for (const [name, secret] of Object.entries(secrets)) {
        if (text.includes(secret)) leaks.push(`${name} in ${source}`);
      }
    }
    console.info(
      `[reliability] secrets scan: master_log_lines=${sources.master_logs!.split("\n").length} agent_log_lines=${sources.agent_logs!.split("\n").length} api_bodies=${client.bodies.length} leaks=${leaks.length}`,
    );
    // The scan has teeth: the logs are at trace level and the flow really ran (the tunnel token reached the connector).
    expect(sources.master_logs!.length).toBeGreaterThan(10_000);
    expect(leaks).toEqual([]);
  }, 600_000);
});
