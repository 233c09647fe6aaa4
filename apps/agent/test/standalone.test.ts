import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import {
  dockerFor,
  removeLabelled,
  TEST_LABEL,
  testLabels,
  testRunId,
  waitFor,
} from "@dockflow/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningAgent } from "../src/index.ts";
import { CONNECTOR_ARGS } from "../src/index.ts";
import {
  agentEnv,
  type LogCapture,
  runLabelled,
  STANDIN_IMAGE,
  startTestAgent,
  tempDataDir,
  uniqueNames,
} from "./helpers/agent.ts";
import { FakeMaster } from "./helpers/fake-master.ts";

const docker = dockerFor();
const names = uniqueNames("standalone");
const TOKEN = `eyJhIjoiYWNjb3VudCIsInQiOiJ0dW5uZWwiLCJzIjoic2VjcmV0In0-${names.id}`;
const [scopeKey, scopeValue] = names.scopeLabel.split("=") as [string, string];

describe("standalone agent against a recording master", () => {
  const master = new FakeMaster();
  let dataDir: Awaited<ReturnType<typeof tempDataDir>>;
  let agent: RunningAgent;
  let logs: LogCapture;

  beforeAll(async () => {
    await master.listen();
    dataDir = await tempDataDir();
    ({ agent, logs } = await startTestAgent(
      agentEnv({
        masterUrl: master.url,
        apiKey: master.apiKey,
        scope: names.scopeLabel,
        names,
        dataDir: dataDir.path,
      }),
    ));
  });

  afterAll(async () => {
    await agent?.close();
    await master.close();
    await removeLabelled(docker);
    await dataDir?.remove();
  });

  it("detects standalone mode, registers and keeps its id in agent_id.txt", async () => {
    expect(agent.mode.mode).toBe("standalone");
    const id = await waitFor(() => agent.agentId, { message: "registration" });
    expect(master.registrations[0]).toMatchObject({ mode: "standalone", version: "0.1.0" });
    expect((await readFile(join(dataDir.path, "agent_id.txt"), "utf8")).trim()).toBe(id);
    expect(master.authorizations.every((a) => a === `Bearer ${master.apiKey}`)).toBe(true);
  });

  it("reports a labelled container's start and stop with the seed's shapes", async () => {
    const name = `web-${names.id}`;
    const unlabelled = await docker.createContainer({
      name: `plain-${names.id}`,
      Image: "dockflow-base/busybox:local",
      Cmd: ["sleep", "3600"],
      Labels: testLabels({ [scopeKey]: scopeValue }),
    });
    await unlabelled.start();
    const container = await runLabelled(docker, names.scopeLabel, name);
    const start = await waitFor(
      () => master.eventsOf("container_start").find((e) => e.container.name === name),
      { message: "container_start" },
    );
    expect(start).toMatchObject({
      type: "container_start",
      mode: "standalone",
      container: {
        id: container.id,
        name,
        status: "running",
        image: "dockflow-base/busybox:local",
        labels: {
          "dockflare.enable": "true",
          "dockflare.domain": `${name}.example.com`,
          "dockflare.port": "8080",
        },
      },
    });
    expect(start.event_id).toBeTruthy();
    expect(start.timestamp).toBeTruthy();

    const report = await waitFor(
      () =>
        master
          .eventsOf("status_report")
          .find((e) => e.container.containers.some((c) => c.id === container.id)),
      { message: "status_report with the container" },
    );
    expect(report.container.containers.map((c) => c.name)).not.toContain(`plain-${names.id}`);
    expect(master.eventsOf("heartbeat").length).toBeGreaterThan(0);

    await container.stop({ t: 1 });
    const stop = await waitFor(
      () => master.eventsOf("container_stop").find((e) => e.container.id === container.id),
      { message: "container_stop" },
    );
    expect(stop.container).toMatchObject({ name, status: "exited" });
    expect(
      master.eventsOf("container_start").filter((e) => e.container.id === container.id),
    ).toHaveLength(1);
    expect(
      master.eventsOf("container_stop").filter((e) => e.container.id === container.id),
    ).toHaveLength(1);
    expect(master.events.some((e) => JSON.stringify(e).includes(`plain-${names.id}`))).toBe(false);
  });

  it("runs the connector on start_tunnel, saves tunnel_state.json (before the connector: src/connector.test.ts), and acknowledges", async () => {
    const command = master.enqueue({
      action: "start_tunnel",
      tunnel_id: "tunnel_def456",
      tunnel_name: "tunnel-app-example-com",
      token: TOKEN,
      rules: { "app.example.com": { service: "web-app", port: 8080 } },
    });
    const [ack] = await waitFor(
      () => (master.results(command.id).length ? master.results(command.id) : undefined),
      { message: "command_result" },
    );
    expect(ack).toMatchObject({
      success: true,
      result: { tunnel_id: "tunnel_def456", status: "running" },
    });

    const statePath = join(dataDir.path, "tunnel_state.json");
    expect((await stat(statePath)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(statePath, "utf8"))).toMatchObject({
      token: TOKEN,
      id: "tunnel_def456",
      name: "tunnel-app-example-com",
      desired_state: "running",
    });

    const info = await docker.getContainer(names.connector).inspect();
    expect(info.Config.Image).toBe(STANDIN_IMAGE);
    expect(info.Config.Cmd).toEqual(CONNECTOR_ARGS);
    expect(info.Config.Cmd).toEqual(["tunnel", "--no-autoupdate", "run"]);
    expect(info.Config.Env).toContain(`TUNNEL_TOKEN=${TOKEN}`);
    expect(info.Args.join(" ")).not.toContain(TOKEN);
    expect(Object.keys(info.NetworkSettings.Networks)).toEqual([names.network]);
    expect(info.HostConfig.RestartPolicy?.Name).toBe("unless-stopped");
    expect(info.Config.Labels).toMatchObject({
      "dockflare.managed": "true",
      "dockflare.type": "tunnel",
      [TEST_LABEL]: testRunId,
    });
    expect(info.State.Running).toBe(true);

    const status = await waitFor(
      () => master.eventsOf("tunnel_status").find((e) => e.container.status === "running"),
      { message: "tunnel_status running" },
    );
    expect(status).toMatchObject({
      tunnel_id: "tunnel_def456",
      container: { id: info.Id, name: names.connector, mode: "standalone" },
    });
    // The stand-in saw the token in its environment and not on its command line.
    const exec = await docker.getContainer(names.connector).exec({
      Cmd: ["cat", "/tmp/cloudflared-standin/token", "/tmp/cloudflared-standin/argv"],
      AttachStdout: true,
    });
    const output = await new Promise<string>((resolve, reject) => {
      exec.start({}, (error, stream) => {
        if (error || !stream) return reject(error);
        let text = "";
        stream.on("data", (d: Buffer) => {
          text += d.toString();
        });
        stream.on("end", () => resolve(text));
      });
    });
    expect(output).toContain("token=present");
    expect(output).toContain("tunnel --no-autoupdate run");

    // Delivered again (at-least-once): acknowledged again, applied once.
    master.redeliver(command);
    await waitFor(() => master.results(command.id).length >= 2, { message: "second ack" });
    expect((await docker.getContainer(names.connector).inspect()).Id).toBe(info.Id);
    expect(logs.includes(TOKEN)).toBe(false);
  });

  it("records the rules of update_tunnel_config and reports them", async () => {
    const rules = {
      "app.example.com": {
        service: "web-app",
        port: 8080,
        replicas: 6,
        load_balancer: "round_robin",
      },
    };
    const command = master.enqueue({
      action: "update_tunnel_config",
      tunnel_id: "tunnel_def456",
      rules,
    });
    const [ack] = await waitFor(
      () => (master.results(command.id).length ? master.results(command.id) : undefined),
      { message: "update ack" },
    );
    expect(ack).toMatchObject({ success: true, result: { rules } });
    const saved = JSON.parse(await readFile(join(dataDir.path, "tunnel_state.json"), "utf8"));
    expect(saved.rules).toEqual(rules);

    const wrong = master.enqueue({ action: "update_tunnel_config", tunnel_id: "other", rules });
    const [refused] = await waitFor(
      () => (master.results(wrong.id).length ? master.results(wrong.id) : undefined),
      { message: "refusal" },
    );
    expect(refused).toMatchObject({ success: false });
  });

  it("restarts and reports a connector that crashes", async () => {
    const before = await docker.getContainer(names.connector).inspect();
    const reportsBefore = master.eventsOf("tunnel_status").length;
    await docker.getContainer(names.connector).kill({ signal: "SIGUSR1" });
    await waitFor(
      () =>
        master
          .eventsOf("tunnel_status")
          .slice(reportsBefore)
          .find((e) => e.container.status !== "running"),
      { message: "crash reported" },
    );
    await waitFor(
      () =>
        master
          .eventsOf("tunnel_status")
          .slice(reportsBefore)
          .find((e) => e.container.status === "running"),
      { message: "running again reported" },
    );
    const after = await docker.getContainer(names.connector).inspect();
    expect(after.State.Running).toBe(true);
    expect(after.State.StartedAt).not.toBe(before.State.StartedAt);
  });

  it("recreates a connector removed behind its back", async () => {
    const before = await docker.getContainer(names.connector).inspect();
    await docker.getContainer(names.connector).remove({ force: true });
    const after = await waitFor(
      async () => {
        const info = await docker
          .getContainer(names.connector)
          .inspect()
          .catch(() => undefined);
        if (info && info.Id !== before.Id && info.State.Running) return info;
        throw new Error(
          `connector ${JSON.stringify(info?.State)}; agent: ${logs.lines
            .filter((l) => l.includes('"part":"connector"') || /"level":(40|50)/.test(l))
            .slice(-10)
            .join(" ")}`,
        );
      },
      { message: "connector recreated" },
    );
    expect(after.Config.Env).toContain(`TUNNEL_TOKEN=${TOKEN}`);
  });

  it("stop_tunnel removes the connector; restart_tunnel brings it back", async () => {
    const stop = master.enqueue({ action: "stop_tunnel", tunnel_id: "tunnel_def456" });
    await waitFor(() => master.results(stop.id)[0]?.success, { message: "stop ack" });
    await expect(docker.getContainer(names.connector).inspect()).rejects.toMatchObject({
      statusCode: 404,
    });
    const saved = JSON.parse(await readFile(join(dataDir.path, "tunnel_state.json"), "utf8"));
    expect(saved.desired_state).toBe("stopped");

    const restart = master.enqueue({ action: "restart_tunnel", tunnel_id: "tunnel_def456" });
    await waitFor(() => master.results(restart.id)[0]?.success, { message: "restart ack" });
    expect((await docker.getContainer(names.connector).inspect()).State.Running).toBe(true);
  });

  it("answers health and readiness", async () => {
    const ready = await fetch(`${agent.healthUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: "ready",
      engine_reachable: true,
      registered: true,
      agent_id: agent.agentId,
      mode: "standalone",
    });
    const live = await fetch(`${agent.healthUrl}/healthz`);
    expect(live.status).toBe(200);
  });

  it("never sends an invalid event and never logs the token", () => {
    expect(master.invalid).toEqual([]);
    expect(logs.includes(TOKEN)).toBe(false);
    expect(logs.includes(master.apiKey)).toBe(false);
  });
});
