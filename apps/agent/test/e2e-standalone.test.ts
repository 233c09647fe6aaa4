import { dockerFor, removeLabelled, waitFor } from "@dockflow/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningAgent } from "../src/index.ts";
import {
  agentEnv,
  type LogCapture,
  runLabelled,
  STANDIN_IMAGE,
  startTestAgent,
  tempDataDir,
  uniqueNames,
} from "./helpers/agent.ts";
import { type ChildAgent, freePort, spawnAgent } from "./helpers/child.ts";
import { type MasterStack, startMasterStack } from "./helpers/stack.ts";

const docker = dockerFor();
const names = uniqueNames("e2e");

interface TunnelView {
  agent_id: string;
  tunnel_id: string | null;
  status: string;
  connector_status: string | null;
}

describe("standalone agent with the real master and the Cloudflare stand-in", () => {
  let stack: MasterStack;
  let dataDir: Awaited<ReturnType<typeof tempDataDir>>;
  let env: Record<string, string>;
  let agent: RunningAgent | undefined;
  let child: ChildAgent | undefined;
  let logs: LogCapture;
  let tunnelId: string;
  let token: string;

  const tunnelOf = async (agentId: string) =>
    (await stack.admin<{ tunnels: TunnelView[] }>("GET", "/tunnels")).tunnels.find(
      (t) => t.agent_id === agentId,
    );
  const hostnames = () => stack.ingress(tunnelId).map((r) => r.hostname);

  beforeAll(async () => {
    stack = await startMasterStack({ GRACE_PERIOD_SECONDS: "2", RECONCILE_INTERVAL_SECONDS: "2" });
    dataDir = await tempDataDir();
    env = agentEnv({
      masterUrl: stack.masterUrl,
      apiKey: stack.agentKey,
      scope: names.scopeLabel,
      names,
      dataDir: dataDir.path,
      env: { LOG_LEVEL: "info" },
    });
    ({ agent, logs } = await startTestAgent(env));
  });

  afterAll(async () => {
    await agent?.close();
    if (child && child.process.exitCode === null) {
      child.process.kill("SIGKILL");
      await child.exited;
    }
    await stack?.close();
    await removeLabelled(docker);
    await dataDir?.remove();
  });

  it("a labelled container gets a tunnel, a connector with its token, an ingress rule and a CNAME", async () => {
    const agentId = await waitFor(() => agent!.agentId, { message: "registration" });
    const name = `web-${names.id}`;
    await runLabelled(docker, names.scopeLabel, name);

    const tunnel = await waitFor(async () => (await tunnelOf(agentId))?.tunnel_id ?? undefined, {
      message: "tunnel created",
    });
    tunnelId = tunnel;
    token = await stack.tunnelToken(tunnelId);
    const connector = await waitFor(
      async () => {
        const info = await docker.getContainer(names.connector).inspect();
        return info.State.Running ? info : undefined;
      },
      { message: "connector running" },
    );
    expect(connector.Config.Image).toBe(STANDIN_IMAGE);
    expect(connector.Config.Cmd).toEqual(["tunnel", "--no-autoupdate", "run"]);
    expect(connector.Config.Env).toContain(`TUNNEL_TOKEN=${token}`);
    expect(Object.keys(connector.NetworkSettings.Networks)).toEqual([names.network]);

    await waitFor(() => stack.ingress(tunnelId).find((r) => r.hostname === `${name}.example.com`), {
      message: "ingress rule live in the stand-in",
    });
    expect(stack.ingress(tunnelId)).toContainEqual(
      expect.objectContaining({ hostname: `${name}.example.com`, service: `http://${name}:8080` }),
    );
    const record = await waitFor(() => stack.cname(`${name}.example.com`), { message: "CNAME" });
    expect(record).toMatchObject({ content: `${tunnelId}.cfargotunnel.com`, proxied: true });
    await waitFor(async () => (await tunnelOf(agentId))?.connector_status === "running", {
      message: "master saw the connector running",
    });
  });

  it("nothing is lost while the master is stopped: its events are delivered when it is back", async () => {
    await stack.stopMaster();
    const name = `late-${names.id}`;
    await runLabelled(docker, names.scopeLabel, name);
    await waitFor(() => agent!.queuedEvents > 0, {
      message: "event queued while the master is away",
    });
    await stack.startMaster();
    await waitFor(() => hostnames().includes(`${name}.example.com`), {
      message: "rule of the container started during the outage",
    });
    await waitFor(() => stack.cname(`${name}.example.com`), { message: "its CNAME" });
    expect(hostnames()).toContain(`web-${names.id}.example.com`);
    await waitFor(() => agent!.queuedEvents === 0, { message: "outbox drained" });
  });

  it("a stopped container's rule and record are gone after the grace period", async () => {
    const name = `web-${names.id}`;
    await docker.getContainer(name).stop({ t: 1 });
    await waitFor(
      () => !hostnames().includes(`${name}.example.com`) && !stack.cname(`${name}.example.com`),
      {
        message: "rule and CNAME removed after the grace period",
      },
    );
    expect(hostnames()).toContain(`late-${names.id}.example.com`);
  });

  it("killed with SIGKILL and started again: same agent id, connector kept, then restored", async () => {
    const agentId = agent!.agentId!;
    await agent!.close();
    agent = undefined;
    const port = await freePort();
    const childEnv = { ...env, HEALTH_PORT: String(port) };
    const ready = async () => {
      const response = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
      return response?.status === 200
        ? ((await response.json()) as { agent_id: string })
        : undefined;
    };

    const connectorBefore = await docker.getContainer(names.connector).inspect();
    child = spawnAgent(childEnv);
    expect((await waitFor(ready, { message: "child agent ready" })).agent_id).toBe(agentId);
    child.process.kill("SIGKILL");
    await child.exited;

    // Kept: the connector outlives the agent.
    child = spawnAgent(childEnv);
    expect((await waitFor(ready, { message: "restarted agent ready" })).agent_id).toBe(agentId);
    const kept = await docker.getContainer(names.connector).inspect();
    expect(kept.Id).toBe(connectorBefore.Id);
    expect(kept.State.StartedAt).toBe(connectorBefore.State.StartedAt);
    child.process.kill("SIGKILL");
    await child.exited;

    // Restored: the connector was removed while the agent was dead.
    await docker.getContainer(names.connector).remove({ force: true });
    child = spawnAgent(childEnv);
    const restored = await waitFor(
      async () => {
        const info = await docker
          .getContainer(names.connector)
          .inspect()
          .catch(() => undefined);
        return info?.State.Running ? info : undefined;
      },
      { message: "connector restored" },
    );
    expect(restored.Config.Env).toContain(`TUNNEL_TOKEN=${token}`);
    expect((await waitFor(ready, { message: "agent ready" })).agent_id).toBe(agentId);

    // And it still discovers: a new container gets its rule.
    const name = `after-${names.id}`;
    await runLabelled(docker, names.scopeLabel, name);
    await waitFor(() => hostnames().includes(`${name}.example.com`), {
      message: "rule after restart",
    });

    // Clean shutdown on SIGTERM.
    child.process.kill("SIGTERM");
    expect(await child.exited).toBe(0);
    const output = child.output.join("");
    expect(output).toContain("agent stopped");
    expect(output).not.toContain(token);
    expect(output).not.toContain(stack.agentKey);
    expect(logs.includes(token)).toBe(false);
  });
});
