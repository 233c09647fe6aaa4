import { removeLabelled, waitFor } from "@dockflow/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ask,
  docker,
  runFlow,
  startTestManager,
  TestClient,
  type TestManager,
  uniqueName,
} from "./helpers.ts";

describe("messages between clients and the code in a container", () => {
  let fm: TestManager;
  let a: TestClient;
  let b: TestClient;
  let bystander: TestClient;
  let id: string;

  beforeAll(async () => {
    fm = await startTestManager({ FLOW_CONNECT_TIMEOUT_MS: "1500" });
    [a, b, bystander] = await Promise.all([
      TestClient.connect(fm.url),
      TestClient.connect(fm.url),
      TestClient.connect(fm.url),
    ]);
    id = await runFlow(a, uniqueName("msg"));
  });

  afterAll(async () => {
    for (const c of [a, b, bystander]) c?.close();
    await fm?.close();
    await removeLabelled(docker);
  });

  it("answers the sender only: message_sent, then message_received with reply_to and request_id", async () => {
    const sent = await a.ok("send_message", {
      container_id: id,
      request_id: "m-1",
      message: { command: "echo", data: { hello: "world" } },
    });
    expect(sent).toMatchObject({ request_id: "m-1", container_id: id });
    const reply = await a.waitEvent("message_received", (m) => m.request_id === "m-1");
    expect(reply.message).toEqual({
      command: "result",
      reply_to: sent.message_id,
      data: { hello: "world" },
    });
    // message_sent came first.
    const order = a.received
      .filter((r) => r.event === "message_sent" || r.event === "message_received")
      .filter((r) => (r.payload as { request_id?: string }).request_id === "m-1")
      .map((r) => r.event);
    expect(order).toEqual(["message_sent", "message_received"]);
    expect(b.events("message_received")).toEqual([]);
  });

  it("multiplexes concurrent requests over the one connection, each reply to its request", async () => {
    const n = 30;
    const sent = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        a.ok("send_message", {
          container_id: id,
          request_id: `par-${i}`,
          message: {
            command: i % 2 ? "echo" : "sleep",
            data: i % 2 ? { i } : { ms: 50 * (i % 5) },
          },
        }),
      ),
    );
    for (let i = 0; i < n; i++) {
      const reply = await a.waitEvent("message_received", (m) => m.request_id === `par-${i}`);
      expect(reply.message.reply_to).toBe(sent[i]?.message_id);
      expect(reply.message.data).toEqual(i % 2 ? { i } : { slept: 50 * (i % 5) });
    }
  });

  it("sends unasked messages to every client that created or messaged the container, and no one else", async () => {
    await ask(b, id, "echo", "b joins"); // b has now messaged it
    await ask(a, id, "emit", { count: 3, command: "tick" });
    for (const client of [a, b]) {
      const ticks = await waitFor(() => {
        const t = client
          .events("message_received")
          .filter((m) => m.message.command === "tick" && m.message.reply_to === undefined);
        return t.length === 3 ? t : undefined;
      });
      expect(ticks.map((t) => t.message.data)).toEqual([
        { index: 0, count: 3 },
        { index: 1, count: 3 },
        { index: 2, count: 3 },
      ]);
      expect(ticks.every((t) => t.request_id === undefined && t.container_id === id)).toBe(true);
    }
    expect(bystander.events("message_received")).toEqual([]);
  });

  it("an error from the handler arrives as an `error` message", async () => {
    const reply = await ask(a, id, "no-such-command", {});
    expect(reply.message.command).toBe("error");
  });

  it("socket_timeout_error when no reply arrives within timeout_ms", async () => {
    const sent = await a.ok("send_message", {
      container_id: id,
      request_id: "slow-1",
      message: { command: "sleep", data: { ms: 20_000 } },
      timeout_ms: 300,
    });
    const error = await a.waitEvent("error", (e) => e.details.request_id === "slow-1");
    expect(error).toMatchObject({
      error_type: "socket_timeout_error",
      details: { operation: "send_message", container_id: id, message_id: sent.message_id },
    });
  });

  it("socket_connection_error when the container has no listening socket", async () => {
    // A running container without the flow runtime: its socket never appears.
    const created = await a.ok("create_container", {
      image: "dockflow-base/busybox:local",
      name: uniqueName("nosock"),
      command: ["sleep", "3600"],
    });
    await a.ok("start_container", { container_id: created.container_id });
    const ack = await a.call("send_message", {
      container_id: created.container_id,
      request_id: "nosock-1",
      message: { command: "echo" },
    });
    expect(ack).toMatchObject({
      ok: false,
      error: {
        error_type: "socket_connection_error",
        details: { operation: "send_message", request_id: "nosock-1" },
      },
    });
    // Stopped: refused at once.
    await a.ok("stop_container", { container_id: created.container_id, timeout: 0 });
    const stopped = await a.call("send_message", {
      container_id: created.container_id,
      message: { command: "echo" },
    });
    expect(stopped).toMatchObject({ ok: false, error: { error_type: "socket_connection_error" } });
  });

  it("socket_error when the connection drops before the reply", async () => {
    const other = await runFlow(a, uniqueName("drop"));
    await ask(a, other, "echo", 1);
    await a.ok("send_message", {
      container_id: other,
      request_id: "drop-1",
      message: { command: "sleep", data: { ms: 60_000 } },
    });
    // SIGKILL: the runtime gets no chance to answer (on SIGTERM it may still reply with an error).
    await docker.getContainer(other).kill();
    const outcome = await waitFor(() =>
      a.received.find((r) => {
        const p = r.payload as { request_id?: string; details?: { request_id?: string } };
        if (r.event === "error") return p.details?.request_id === "drop-1";
        return r.event === "message_received" && p.request_id === "drop-1";
      }),
    );
    expect(outcome.event, JSON.stringify(outcome)).toBe("error");
    expect(outcome.payload).toMatchObject({
      error_type: "socket_error",
      details: { operation: "send_message", container_id: other },
    });
  });
});

describe("FLOW_LIVE_MESSAGE_ACTIVITY", () => {
  it("pushes message traffic as activity_log when enabled", async () => {
    const fm = await startTestManager({ FLOW_LIVE_MESSAGE_ACTIVITY: "true" });
    const client = await TestClient.connect(fm.url);
    try {
      const id = await runFlow(client, uniqueName("live"));
      await ask(client, id, "echo", 1);
      await client.waitEvent("activity_log", (a) => a.activity_type === "message_sent");
      await client.waitEvent("activity_log", (a) => a.activity_type === "message_received");
    } finally {
      client.close();
      await fm.close();
      await removeLabelled(docker);
    }
  });
});
