import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { dockerFor, removeLabelled, waitFor } from "@dockflow/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningAgent } from "../src/index.ts";
import {
  agentEnv,
  type LogCapture,
  runLabelled,
  startTestAgent,
  tempDataDir,
  uniqueNames,
} from "./helpers/agent.ts";
import { FakeMaster } from "./helpers/fake-master.ts";

const docker = dockerFor();
const names = uniqueNames("resilience");
const TOKEN = `resilience-token-${names.id}`;

describe("agent while the master is away, and across restarts", () => {
  const master = new FakeMaster();
  let dataDir: Awaited<ReturnType<typeof tempDataDir>>;
  let env: Record<string, string>;
  let agent: RunningAgent | undefined;
  let logs: LogCapture;

  beforeAll(async () => {
    // Reserve a port for the master, then leave it closed: the agent starts without a master.
    await master.listen();
    await master.close();
    dataDir = await tempDataDir();
    env = agentEnv({
      masterUrl: master.url,
      apiKey: master.apiKey,
      scope: names.scopeLabel,
      names,
      dataDir: dataDir.path,
    });
    // A saved desired state, as a previous run would have left it.
    await writeFile(
      join(dataDir.path, "tunnel_state.json"),
      JSON.stringify({
        token: TOKEN,
        id: "tunnel_saved",
        name: "tunnel-saved",
        desired_state: "running",
      }),
      { mode: 0o600 },
    );
  });

  afterAll(async () => {
    await agent?.close();
    await master.close();
    await removeLabelled(docker);
    await dataDir?.remove();
  });

  it("restores the saved connector and queues events while the master is down", async () => {
    ({ agent, logs } = await startTestAgent(env));
    const info = await waitFor(
      async () => {
        const c = await docker.getContainer(names.connector).inspect();
        return c.State.Running ? c : undefined;
      },
      { message: "connector restored without a master" },
    );
    expect(info.Config.Env).toContain(`TUNNEL_TOKEN=${TOKEN}`);

    const first = await runLabelled(docker, names.scopeLabel, `first-${names.id}`, {
      "dockflare.port": "80",
    });
    const second = await runLabelled(docker, names.scopeLabel, `second-${names.id}`, {
      "dockflare.port": "80",
    });
    await first.stop({ t: 1 });
    await waitFor(() => agent!.queuedEvents >= 3, { message: "events queued" });
    const ready = await fetch(`${agent.healthUrl}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ registered: false, engine_reachable: true });
    expect(master.events).toHaveLength(0);

    await master.listen(master.port);
    await waitFor(() => agent!.agentId, { message: "registered once the master is back" });
    const lifecycle = () =>
      master.events
        .filter((e) => e.type === "container_start" || e.type === "container_stop")
        .map(
          (e) => `${e.type} ${"container" in e && "name" in e.container ? e.container.name : ""}`,
        );
    await waitFor(() => lifecycle().length >= 3, { message: "queued events delivered" });
    // In order: first started, second started, first stopped.
    expect(lifecycle().slice(0, 3)).toEqual([
      `container_start first-${names.id}`,
      `container_start second-${names.id}`,
      `container_stop first-${names.id}`,
    ]);
    await waitFor(
      () =>
        master
          .eventsOf("tunnel_status")
          .find((e) => e.tunnel_id === "tunnel_saved" && e.container.status === "running"),
      { message: "tunnel_status delivered" },
    );
    expect(second.id).toBeTruthy();
  });

  it("keeps events while the master answers 503 and delivers them in order", async () => {
    master.unavailable = true;
    const third = await runLabelled(docker, names.scopeLabel, `third-${names.id}`, {
      "dockflare.port": "80",
    });
    await third.stop({ t: 1 });
    await waitFor(() => agent!.queuedEvents >= 2, { message: "events queued during the outage" });
    master.unavailable = false;
    await waitFor(
      () => master.eventsOf("container_stop").find((e) => e.container.name === `third-${names.id}`),
      { message: "outage events delivered" },
    );
    const names3 = master.events
      .filter((e) => e.type === "container_start" || e.type === "container_stop")
      .map((e) =>
        "container" in e && "name" in e.container ? `${e.type} ${e.container.name}` : "",
      )
      .filter((n) => n.endsWith(`third-${names.id}`));
    expect(names3).toEqual([
      `container_start third-${names.id}`,
      `container_stop third-${names.id}`,
    ]);
  });

  it("comes back as the same agent and keeps the running connector after a restart", async () => {
    const agentId = agent!.agentId!;
    const before = await docker.getContainer(names.connector).inspect();
    await agent!.close();
    ({ agent, logs } = await startTestAgent(env));
    await waitFor(() => agent!.agentId, { message: "registered again" });
    expect(agent.agentId).toBe(agentId);
    expect(master.registrations.at(-1)?.agent_id).toBe(agentId);
    expect((await readFile(join(dataDir.path, "agent_id.txt"), "utf8")).trim()).toBe(agentId);
    await waitFor(
      () =>
        master
          .eventsOf("status_report")
          .some((e) => e.timestamp! > new Date(Date.now() - 1000).toISOString()),
      { message: "a fresh status report" },
    );
    const after = await docker.getContainer(names.connector).inspect();
    expect(after.Id).toBe(before.Id);
    expect(after.State.StartedAt).toBe(before.State.StartedAt);
  });

  it("recreates a connector whose token differs from the saved state at start-up", async () => {
    const before = await docker.getContainer(names.connector).inspect();
    await agent!.close();
    agent = undefined;
    const state = JSON.parse(await readFile(join(dataDir.path, "tunnel_state.json"), "utf8"));
    await writeFile(
      join(dataDir.path, "tunnel_state.json"),
      JSON.stringify({ ...state, token: `${TOKEN}-rotated` }),
      { mode: 0o600 },
    );
    ({ agent, logs } = await startTestAgent(env));
    const after = await waitFor(
      async () => {
        const c = await docker.getContainer(names.connector).inspect();
        return c.Id !== before.Id && c.State.Running ? c : undefined;
      },
      { message: "connector recreated with the new token" },
    );
    expect(after.Config.Env).toContain(`TUNNEL_TOKEN=${TOKEN}-rotated`);
    expect(logs.includes(TOKEN)).toBe(false);
    expect(master.invalid).toEqual([]);
  });
});
