import { testLabels, waitFor } from "@dockflow/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ThrowawayEngine } from "../src/flow-engine.ts";
import {
  FlowClient,
  type InProcessManager,
  managedInDocker,
  startInProcess,
  uniqueId,
} from "../src/flow-harness.ts";

describe("Docker engine restarted under a running flow manager", { timeout: 600_000 }, () => {
  const engine = new ThrowawayEngine();
  let fm: InProcessManager;
  let client: FlowClient;
  let plain: string;
  let restarting: string;
  let startedBefore = "";

  beforeAll(async () => {
    await engine.create();
    await engine.buildImages();
    fm = await startInProcess("engine", { DOCKER_HOST: engine.host, LOG_LEVEL: "info" });
    client = await FlowClient.connect(fm.url);
    for (const [tag, extra] of [
      ["plain", {}],
      ["always", { restart_policy: { name: "always" as const } }],
    ] as const) {
      const created = await client.ok("create_container", {
        image: "flow:latest",
        name: uniqueId(tag),
        labels: testLabels(),
        ...extra,
      });
      await client.ok("start_container", { container_id: created.container_id });
      if (tag === "plain") plain = created.container_id;
      else restarting = created.container_id;
    }
  }, 600_000);

  afterAll(async () => {
    client?.close();
    await fm?.close();
    await engine.destroy();
  });

  it("serves before the outage", async () => {
    for (const id of [plain, restarting]) {
      expect(await client.ask(id, "echo", id)).toEqual({ command: "result", data: id });
    }
  });

  it("during the outage: stays up, reports Docker unreachable, answers with docker_api_error", async () => {
    const before = await client.ok("get_container_status", { container_id: restarting });
    startedBefore = before.started_at ?? "";
    client.received.splice(0); // from here on, only what the outage causes
    await engine.stop();
    const health = await fetch(`${fm.url}/health`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ docker_reachable: false });
    const ack = await client.call("start_container", { container_id: plain });
    expect(ack.ok).toBe(false);
    if (!ack.ok) {
      expect(ack.error.error_type).toBe("docker_api_error");
      expect(ack.error.details.operation).toBe("start_container");
    }
    expect(client.socket.connected).toBe(true);
  });

  it("after the restart: resyncs, reports what died during the outage, and serves again", async () => {
    await engine.start();
    // The plain container died with the engine: the manager must say so.
    await client.waitEvent(
      "status_changed",
      (e) => e.container_id === plain && e.new_status === "exited",
      60_000,
    );
    // The one with restart policy "always" came back with the engine (a new start): the manager
    // sees it running again and reaches its new socket.
    await waitFor(
      async () => {
        const s = await client.ok("get_container_status", { container_id: restarting });
        return s.status === "running" && (s.started_at ?? "") > startedBefore;
      },
      { timeoutMs: 60_000, message: "the restarted container to be seen running again" },
    );
    expect(await client.ask(restarting, "echo", "back")).toEqual({
      command: "result",
      data: "back",
    });
    // The manager's view equals the engine's.
    const list = await client.ok("list_containers", {});
    expect(list.containers.map((c) => `${c.id}:${c.status}`).sort()).toEqual(
      await managedInDocker(engine.docker, fm.managerId),
    );
    // Operations work again, and the event stream is followed again: a crash is reported.
    await client.ok("start_container", { container_id: plain });
    expect(await client.ask(plain, "echo", "again")).toEqual({ command: "result", data: "again" });
    await engine.docker.getContainer(plain).kill({ signal: "SIGKILL" });
    const crash = await client.waitEvent(
      "container_crashed",
      (c) => c.container_id === plain,
      60_000,
    );
    expect(crash.exit_code).toBe(137);
    const health = await fetch(`${fm.url}/health`).then((r) => r.json());
    expect(health).toMatchObject({ status: "ok", containers_managed: 2 });
  });
});
