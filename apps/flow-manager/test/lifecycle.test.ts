import { access, mkdir, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { removeLabelled, TEST_LABEL, testRunId, waitFor } from "@dockflow/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ask,
  TestClient as Client,
  docker,
  FLOW_IMAGE,
  startTestManager,
  type TestClient,
  type TestManager,
  uniqueName,
} from "./helpers.ts";

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe("full container lifecycle over Socket.IO", () => {
  let fm: TestManager;
  let client: TestClient;

  beforeAll(async () => {
    fm = await startTestManager();
    client = await Client.connect(fm.url);
  });

  afterAll(async () => {
    client?.close();
    await fm?.close();
    await removeLabelled(docker);
  });

  it("says hello, then creates, starts, talks to, monitors, stops, restarts and deletes a flow", async () => {
    const welcome = client.events("connected")[0];
    expect(welcome?.message).toMatch(/Flow Manager/);
    expect(welcome?.client_id).toBe(client.socket.id);

    const data = join(fm.root, "data");
    await mkdir(data);
    await writeFile(join(data, "hello.txt"), "hi");
    const hostPort = await freePort();
    const name = uniqueName("life");

    const created = await client.ok("create_container", {
      request_id: "req-create-1",
      image: FLOW_IMAGE,
      name,
      environment: { ENV_VAR1: "value1", ENV_VAR2: "value2" },
      volumes: { [data]: "/data:ro" },
      ports: { "8080": hostPort },
      memory_limit: "256m",
      cpu_limit: 1,
      labels: { "example.role": "lifecycle" },
    });
    expect(created).toMatchObject({
      request_id: "req-create-1",
      name,
      status: "created",
      image: FLOW_IMAGE,
    });
    // The reply event went to the requester as well as the ack.
    await client.waitEvent("container_created", (e) => e.request_id === "req-create-1");
    const id = created.container_id;

    const info = await docker.getContainer(id).inspect();
    expect(info.Config.Labels).toMatchObject({
      "dockflow.flow.managed": "true",
      "dockflow.flow.manager": fm.managerId,
      "example.role": "lifecycle",
      [TEST_LABEL]: testRunId,
    });
    expect(info.HostConfig.Memory).toBe(256 * 1024 * 1024);
    expect(info.HostConfig.NanoCpus).toBe(1e9);
    expect(info.HostConfig.Privileged).toBe(false);
    expect(info.HostConfig.PortBindings?.["8080/tcp"]).toEqual([
      { HostIp: "127.0.0.1", HostPort: String(hostPort) },
    ]);
    expect(info.HostConfig.Binds).toContain(`${data}:/data:ro`);
    const socketDir = info.Config.Labels?.["dockflow.flow.socket_dir"] ?? "";
    expect(socketDir.startsWith(fm.socketRoot)).toBe(true);

    const started = await client.ok("start_container", { container_id: id, request_id: "s1" });
    expect(started).toMatchObject({ container_id: id, status: "running", request_id: "s1" });
    await client.waitEvent(
      "status_changed",
      (e) => e.container_id === id && e.new_status === "running",
    );

    // Messages: the seed's `process` command, and the environment it was created with.
    const processed = await ask(client, id, "process", { input: "sample input data" });
    expect(processed.message).toMatchObject({
      command: "result",
      data: { processed: true, input: "sample input data" },
    });
    const env = await ask(client, id, "env", { keys: ["ENV_VAR1", "ENV_VAR2"] });
    expect(env.message.data).toEqual({ ENV_VAR1: "value1", ENV_VAR2: "value2" });
    const progress = await ask(client, id, "progress", { steps: 2 });
    const statuses = client
      .events("message_received")
      .filter(
        (m) => m.message.reply_to === progress.message.reply_to && m.message.command === "status",
      );
    expect(statuses.map((s) => s.message.data)).toEqual([
      { step: 1, of: 2 },
      { step: 2, of: 2 },
    ]);

    // Status from memory, kept current by the streaming stats: 64 MB held by the flow shows up
    // in the usage, and the percentage is the usage over the 256 MB limit.
    const limit = 256 * 1024 * 1024;
    await ask(client, id, "allocate", { mb: 64 });
    const status = await waitFor(async () => {
      const s = await client.ok("get_container_status", { container_id: name });
      return s.resource_usage.memory_usage_bytes >= 64 * 1024 * 1024 ? s : undefined;
    });
    expect(status).toMatchObject({ container_id: id, name, status: "running", health: "none" });
    const memory = status.resource_usage;
    expect(memory.memory_limit_bytes).toBe(limit);
    expect(memory.memory_usage_bytes).toBeLessThan(limit);
    expect(memory.memory_percent).toBe(
      Math.round((memory.memory_usage_bytes / limit) * 100 * 100) / 100,
    );
    expect(memory.memory_percent).toBeGreaterThanOrEqual(25);
    expect(memory.pids).toBeGreaterThanOrEqual(1);
    expect(status.status_history.map((h) => h.status)).toEqual(["created", "running"]);

    const list = await client.ok("list_containers", {});
    expect(list.containers.find((c) => c.id === id)).toMatchObject({ name, status: "running" });

    // A busy flow shows in the periodic update's CPU figure, bounded by its 1-CPU limit.
    const burn = await ask(client, id, "burn", { ms: 2500 });
    expect(burn.message.command).toBe("result");
    const busy = await client.waitEvent("container_status_update", (u) =>
      u.containers.some((c) => c.id === id && c.resource_usage.cpu_percent >= 15),
    );
    const entry = busy.containers.find((c) => c.id === id);
    expect(entry).toMatchObject({
      status: "running",
      restart_count: 0,
      resource_usage: { memory_limit_bytes: limit },
    });
    expect(entry?.resource_usage.cpu_percent).toBeLessThanOrEqual(110);
    expect(entry?.uptime_seconds).toBeGreaterThan(0);

    const stopped = await client.ok("stop_container", { container_id: id, timeout: 5 });
    expect(stopped).toMatchObject({ status: "exited" });
    expect(stopped.exit_code).not.toBeNull();
    await client.waitEvent(
      "status_changed",
      (e) => e.container_id === id && e.new_status === "exited",
    );

    const restarted = await client.ok("restart_container", { container_id: id });
    expect(restarted.status).toBe("running");
    expect((await ask(client, id, "echo", { again: true })).message.data).toEqual({ again: true });

    const deleted = await client.ok("delete_container", { container_id: id, request_id: "d1" });
    expect(deleted).toEqual({ request_id: "d1", container_id: id, name });
    await expect(access(socketDir)).rejects.toThrow();
    const gone = await client.call("get_container_status", { container_id: id });
    expect(gone).toMatchObject({ ok: false, error: { error_type: "container_not_found" } });

    // A stop the manager was asked for is never reported as a crash.
    expect(client.events("container_crashed").filter((c) => c.container_id === id)).toEqual([]);

    // Every lifecycle operation is pushed live as activity_log; message traffic is not (by default).
    const lifecycle = [
      "container_created",
      "container_started",
      "container_stopped",
      "container_restarted",
      "container_deleted",
    ] as const;
    const types = client.events("activity_log").map((a) => a.activity_type);
    for (const t of lifecycle) expect(types).toContain(t);
    expect(types).not.toContain("message_sent");
    // All of it, messages included, is in the history a client that connects later can fetch.
    const late = await Client.connect(fm.url);
    try {
      const history = await late.ok("get_activity_log", { container_id: id, limit: 500 });
      const kept = history.entries.map((e) => e.activity_type);
      for (const t of [...lifecycle, "message_sent", "message_received"] as const) {
        expect(kept).toContain(t);
      }
      expect(history.entries.every((e) => e.container_id === id)).toBe(true);
      const created = history.entries.find((e) => e.activity_type === "container_created");
      expect(created?.client_id).toBe(client.socket.id);
    } finally {
      late.close();
    }
  });

  it("serves GET /health with Docker reachability and the managed count", async () => {
    const res = await fetch(`${fm.url}/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: "ok", docker_reachable: true });
    expect(typeof body.containers_managed).toBe("number");
  });

  it("reports image_not_found for an image that does not exist and cannot be pulled", async () => {
    const ack = await client.call("create_container", {
      image: `dockflow-missing/nothing-${testRunId}:none`,
      name: uniqueName("noimg"),
      request_id: "img-1",
    });
    expect(ack).toMatchObject({
      ok: false,
      error: {
        error_type: "image_not_found",
        details: { operation: "create_container", request_id: "img-1" },
      },
    });
    await client.waitEvent("activity_log", (a) => a.activity_type === "image_pull");
  });
});
