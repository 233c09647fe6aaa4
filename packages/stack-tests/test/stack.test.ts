import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { dockerFor, removeLabelled, TEST_LABEL, testRunId, waitFor } from "@dockflow/testkit";
import { io, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { COMPOSE_FILE, type ComposeProject, compose, publishedPort } from "./compose.ts";
import { getJson } from "./net.ts";

const docker = dockerFor();
const id = testRunId.replace(/[^a-z0-9]/gi, "").toLowerCase();
const SANDBOX_TOKEN = "dockflow-sandbox-token";
const ACCOUNT_ID = "5a4db0c8f1e24b4fa6c1a7e1d0c0ffee";

type Ack = { ok: true; data: Record<string, unknown> } | { ok: false; error: { message: string } };

// The whole compose stack on the real engine, from images built from local bases
// (docker/build-images.sh), with the `sandbox` profile: one stack serves both checks.
describe("the compose stack (docker/compose.yaml)", () => {
  let dir: string;
  let project: ComposeProject;
  const secrets = {
    postgres: randomBytes(12).toString("hex"),
    admin: randomBytes(16).toString("hex"),
    flow: randomBytes(16).toString("hex"),
  };
  const network = `dfstack-${id}`;
  const scope = `dockflow.stack-test=${id}`;
  const urls = { master: "", flowManager: "", sandbox: "" };

  async function logs(): Promise<string> {
    const run = await compose(project, ["logs", "--no-color", "--tail", "60"]);
    return run.stdout + run.stderr;
  }

  beforeAll(async () => {
    dir = await mkdtemp("/tmp/dfs-"); // short: flow sockets live below it
    await mkdir(join(dir, "flows"));
    await mkdir(join(dir, "s"));
    const envFile = join(dir, "stack.env");
    await writeFile(
      envFile,
      `${Object.entries({
        POSTGRES_PASSWORD: secrets.postgres,
        MASTER_ADMIN_TOKEN: secrets.admin,
        FLOW_MANAGER_TOKEN: secrets.flow,
        CLOUDFLARE_BASE_URL: "http://cloudflare-sandbox:8787/client/v4",
        CLOUDFLARE_API_TOKEN: SANDBOX_TOKEN,
        CLOUDFLARE_ACCOUNT_ID: ACCOUNT_ID,
        CF_SANDBOX_ZONES: "example.com",
        DOCKFLOW_MASTER_IMAGE: "dockflow/master:local",
        DOCKFLOW_AGENT_IMAGE: "dockflow/agent:local",
        DOCKFLOW_FLOW_MANAGER_IMAGE: "dockflow/flow-manager:local",
        DOCKFLOW_CLOUDFLARE_SANDBOX_IMAGE: "dockflow/cloudflare-sandbox:local",
        POSTGRES_IMAGE: "dockflow/postgres-local:local",
        CLOUDFLARED_IMAGE: "dockflow/cloudflared-standin:local",
        MASTER_PUBLISH: "127.0.0.1:",
        FLOW_MANAGER_PUBLISH: "127.0.0.1:",
        CF_SANDBOX_PUBLISH: "127.0.0.1:",
        DOCKFLOW_NETWORK: network,
        DOCKFLOW_FLOWS_DIR: join(dir, "flows"),
        DOCKFLOW_FLOW_SOCKETS_DIR: join(dir, "s"),
        AGENT_DISPLAY_NAME: `stack-${id}`,
        AGENT_CONNECTOR_NAME: `dfstack-connector-${id}`,
        AGENT_CONNECTOR_LABELS: `${TEST_LABEL}=${testRunId}`,
        AGENT_DISCOVERY_SCOPE_LABEL: scope,
        FLOW_MANAGER_ID: `dfstack-${id}`,
        FLOW_DEFAULT_LABELS: `${TEST_LABEL}=${testRunId}`,
      })
        .map(([key, value]) => `${key}=${value}`)
        .join("\n")}\n`,
    );
    // Every object compose creates carries the run's test label too.
    const labels = { [TEST_LABEL]: testRunId };
    const services = ["postgres", "master", "agent-key", "agent", "flow-manager"];
    const override = join(dir, "labels.yaml");
    await writeFile(
      override,
      stringify({
        services: Object.fromEntries(
          [...services, "cloudflare-sandbox"].map((name) => [name, { labels }]),
        ),
        volumes: Object.fromEntries(
          ["postgres-data", "agent-data", "agent-key", "flow-manager-data"].map((v) => [
            v,
            { labels },
          ]),
        ),
        // Compose v1 replaces (not merges) a top-level network's definition: repeat the name.
        networks: { default: { name: network, labels } },
      }),
    );
    project = {
      name: `dfstack${id}`,
      files: [COMPOSE_FILE, override],
      envFile,
      profiles: ["sandbox"],
    };
    const up = await compose(project, ["up", "-d"], 600_000);
    if (up.code !== 0) {
      throw new Error(`compose up failed (${up.code}):\n${up.stderr}\n${await logs()}`);
    }
    urls.master = `http://127.0.0.1:${await publishedPort(project, "master", 8080)}`;
    urls.flowManager = `http://127.0.0.1:${await publishedPort(project, "flow-manager", 8000)}`;
    urls.sandbox = `http://127.0.0.1:${await publishedPort(project, "cloudflare-sandbox", 8787)}`;
    // Health-based start order got them up; wait until every service reports healthy.
    await waitFor(
      async () => {
        const containers = await docker.listContainers({
          all: true,
          filters: JSON.stringify({ label: [`com.docker.compose.project=${project.name}`] }),
        });
        const healthy = containers
          .filter((c) => c.Status.includes("(healthy)"))
          .map((c) => c.Labels["com.docker.compose.service"])
          .sort();
        return (
          healthy.join() ===
          ["agent", "cloudflare-sandbox", "flow-manager", "master", "postgres"].join()
        );
      },
      { timeoutMs: 180_000, intervalMs: 500, message: "every service of the stack healthy" },
    ).catch(async (error: Error) => {
      throw new Error(`${error.message}\n${await logs()}`);
    });
  });

  afterAll(async () => {
    if (project) {
      // Stop the agent first (it would restore its connector), remove what the services created
      // (flows, connector, the labelled app) so that the network can go, then the stack with its
      // volumes, then anything else this run labelled.
      await compose(project, ["stop", "-t", "5", "agent", "flow-manager"]);
      const extra = await docker.listContainers({
        all: true,
        filters: JSON.stringify({ label: [`${TEST_LABEL}=${testRunId}`] }),
      });
      for (const c of extra.filter((c) => !c.Labels["com.docker.compose.project"])) {
        await docker
          .getContainer(c.Id)
          .remove({ force: true, v: true })
          .catch(() => undefined);
      }
      const down = await compose(project, ["down", "-v", "--remove-orphans", "-t", "5"]);
      if (down.code !== 0) process.stderr.write(`compose down: ${down.stderr}\n`);
    }
    await removeLabelled(docker);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("runs the seed's lifecycle against the flow manager: create, start, message, stop, delete", async () => {
    const received: Array<{ event: string; payload: Record<string, unknown> }> = [];
    const socket: Socket = io(urls.flowManager, {
      transports: ["websocket"],
      auth: { token: secrets.flow },
      reconnection: false,
      forceNew: true,
    });
    socket.onAny((event: string, payload: Record<string, unknown>) => {
      received.push({ event, payload });
    });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once("connected", () => resolve());
        socket.once("connect_error", reject);
      });
      const call = async (event: string, payload: Record<string, unknown>) => {
        const ack = (await socket.emitWithAck(event, payload)) as Ack;
        if (!ack.ok) throw new Error(`${event}: ${ack.error.message}`);
        return ack.data;
      };
      const name = `dfstack-flow-${id}`;
      const created = await call("create_container", {
        image: "flow:latest",
        name,
        environment: { ENV_VAR1: "value1" },
      });
      expect(created).toMatchObject({ name, status: "created" });
      const containerId = String(created.container_id);
      const info = await docker.getContainer(containerId).inspect();
      expect(info.Config.Labels[TEST_LABEL]).toBe(testRunId);

      expect(await call("start_container", { container_id: containerId })).toMatchObject({
        status: "running",
      });
      // Through the socket folder shared by host, flow manager container and flow container.
      const sent = await call("send_message", {
        container_id: containerId,
        message: { command: "process", data: { input: "from the stack" } },
      });
      const reply = await waitFor(
        () =>
          received.find(
            (r) =>
              r.event === "message_received" &&
              (r.payload.message as Record<string, unknown>).reply_to === sent.message_id,
          ),
        { message: "reply of the flow through the compose flow manager" },
      );
      expect(reply.payload.message).toMatchObject({
        command: "result",
        data: { processed: true, input: "from the stack" },
      });
      expect(await call("stop_container", { container_id: containerId })).toMatchObject({
        status: "exited",
      });
      expect(await call("delete_container", { container_id: containerId })).toMatchObject({
        container_id: containerId,
      });
      await expect(docker.getContainer(containerId).inspect()).rejects.toThrow();
    } finally {
      socket.close();
    }
  });

  it("registers the agent and turns a labelled container into a rule, a tunnel and a CNAME", async () => {
    const admin = <T>(path: string) => getJson<T>(`${urls.master}/api/v2${path}`, secrets.admin);
    const agent = await waitFor(
      async () =>
        (
          await admin<{
            agents: Array<{ agent_id: string; display_name: string; status: string }>;
          }>("/agents")
        ).agents.find((a) => a.display_name === `stack-${id}` && a.status === "online"),
      { message: "the compose agent registered (with the key from the agent-key one-shot)" },
    );

    const name = `dfstack-web-${id}`;
    const hostname = `web-${id}.example.com`;
    const [scopeKey, scopeValue] = scope.split("=") as [string, string];
    const container = await docker.createContainer({
      name,
      Image: "dockflow-base/busybox:local",
      Cmd: ["sleep", "3600"],
      Labels: {
        [TEST_LABEL]: testRunId,
        [scopeKey]: scopeValue,
        "dockflare.enable": "true",
        "dockflare.domain": hostname,
        "dockflare.port": "8080",
      },
      HostConfig: { Init: true, NetworkMode: network },
    });
    await container.start();

    const rule = await waitFor(
      async () =>
        (
          await admin<{ rules: Array<{ hostname: string; service: string; agent_id: string }> }>(
            "/rules",
          )
        ).rules.find((r) => r.hostname === hostname),
      { timeoutMs: 60_000, message: "the master's rule for the labelled container" },
    );
    expect(rule).toMatchObject({ service: `http://${name}:8080`, agent_id: agent.agent_id });
    const tunnelId = await waitFor(
      async () =>
        (
          await admin<{ tunnels: Array<{ agent_id: string; tunnel_id: string | null }> }>(
            "/tunnels",
          )
        ).tunnels.find((t) => t.agent_id === agent.agent_id)?.tunnel_id ?? undefined,
      { timeoutMs: 60_000, message: "the agent's tunnel created in the stand-in" },
    );

    // The stand-in (published port) has the ingress rule and the CNAME.
    const cf = <T>(path: string) =>
      getJson<{ result: T }>(`${urls.sandbox}/client/v4${path}`, SANDBOX_TOKEN).then(
        (r) => r.result,
      );
    const ingress = await waitFor(
      async () => {
        const configuration = await cf<{
          config: { ingress: Array<{ hostname?: string; service: string }> } | null;
        }>(`/accounts/${ACCOUNT_ID}/cfd_tunnel/${tunnelId}/configurations`);
        return configuration.config?.ingress.find((r) => r.hostname === hostname);
      },
      { timeoutMs: 60_000, message: "ingress rule in the stand-in" },
    );
    expect(ingress.service).toBe(`http://${name}:8080`);
    const [zone] = await cf<Array<{ id: string }>>("/zones?name=example.com");
    const cname = await waitFor(
      async () =>
        (
          await cf<Array<{ type: string; content: string }>>(
            `/zones/${zone!.id}/dns_records?name=${hostname}`,
          )
        ).find((r) => r.type === "CNAME"),
      { timeoutMs: 60_000, message: "CNAME in the stand-in" },
    );
    expect(cname.content).toBe(`${tunnelId}.cfargotunnel.com`);

    // And the agent runs the tunnel's connector on the stack's network.
    const connector = await waitFor(
      async () => {
        const info = await docker
          .getContainer(`dfstack-connector-${id}`)
          .inspect()
          .catch(() => undefined);
        return info?.State.Running ? info : undefined;
      },
      { message: "the cloudflared connector running" },
    );
    expect(Object.keys(connector.NetworkSettings.Networks)).toContain(network);
  });
});
