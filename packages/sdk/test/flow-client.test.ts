import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { waitFor } from "@dockflow/testkit";
import { Server, type Socket as ServerSocket } from "socket.io";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createFlowClient,
  type FlowClient,
  FlowClosedError,
  FlowConnectionError,
  FlowError,
  FlowTimeoutError,
  isFlowError,
} from "../src/index.ts";

/**
 * The client's own behaviour (acks, timeouts, request ids, reconnection, listeners) against a
 * scripted Socket.IO server; the real flow manager is exercised by the examples' tests.
 */
interface Scripted {
  url: string;
  io: Server;
  sockets: ServerSocket[];
  /** Requests received, in order: event, payload. */
  received: { event: string; payload: Record<string, unknown> }[];
  /** How the server answers each request (default: never). */
  answer: (event: string, payload: Record<string, unknown>, socket: ServerSocket) => unknown;
  close(): Promise<void>;
}

async function scriptedServer(
  options: { token?: string; answer?: Scripted["answer"] } = {},
): Promise<Scripted> {
  const http = createServer();
  const io = new Server(http);
  const state: Scripted = {
    url: "",
    io,
    sockets: [],
    received: [],
    answer: options.answer ?? (() => undefined),
    close: async () => {
      io.disconnectSockets(true);
      await io.close();
    },
  };
  if (options.token !== undefined) {
    io.use((socket, next) =>
      next(socket.handshake.auth?.token === options.token ? undefined : new Error("unauthorized")),
    );
  }
  io.on("connection", (socket) => {
    state.sockets.push(socket);
    socket.emit("connected", { message: "hello", client_id: socket.id, server_version: "test" });
    socket.onAny((event: string, payload: Record<string, unknown>, ack?: (r: unknown) => void) => {
      state.received.push({ event, payload });
      const response = state.answer(event, payload, socket);
      if (response !== undefined && typeof ack === "function") ack(response);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  state.url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return state;
}

const created = (payload: Record<string, unknown>) => ({
  ok: true,
  data: {
    request_id: payload.request_id,
    container_id: "abc123",
    name: payload.name ?? "n",
    status: "created",
    image: payload.image,
  },
});

describe("createFlowClient", () => {
  let server: Scripted;
  let flow: FlowClient;

  beforeEach(async () => {
    server = await scriptedServer();
  });
  afterEach(async () => {
    flow?.close();
    await server.close();
  });

  it("resolves a request with the acknowledged reply and generates a request_id", async () => {
    server.answer = (event, payload) =>
      event === "create_container" ? created(payload) : undefined;
    flow = createFlowClient(server.url);
    const reply = await flow.createContainer({ image: "flow:latest", name: "one" });
    expect(reply).toMatchObject({ container_id: "abc123", name: "one", image: "flow:latest" });
    const sent = server.received.find((r) => r.event === "create_container");
    expect(sent?.payload.request_id).toMatch(/^sdk-[0-9a-f-]{36}$/);
    expect(reply.request_id).toBe(sent?.payload.request_id);
  });

  it("keeps a request_id the caller chose, and the caller's payload untouched", async () => {
    server.answer = (event, payload) =>
      event === "create_container" ? created(payload) : undefined;
    flow = createFlowClient(server.url, { requestIdPrefix: "mine-" });
    const payload = { image: "flow:latest", request_id: "fixed-1" };
    await flow.createContainer(payload);
    await flow.createContainer({ image: "flow:latest" });
    expect(server.received.map((r) => r.payload.request_id)).toEqual([
      "fixed-1",
      expect.stringMatching(/^mine-/),
    ]);
    expect(payload).toEqual({ image: "flow:latest", request_id: "fixed-1" });
  });

  it("rejects with a FlowError carrying error_type, message and details", async () => {
    server.answer = (_event, payload) => ({
      ok: false,
      error: {
        error_type: "container_not_found",
        message: "no container nope",
        details: { operation: "start_container", request_id: payload.request_id },
      },
    });
    flow = createFlowClient(server.url);
    const error = await flow.startContainer({ container_id: "nope" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlowError);
    expect(isFlowError(error, "container_not_found")).toBe(true);
    expect(isFlowError(error, "validation_error")).toBe(false);
    expect(error).toMatchObject({
      error_type: "container_not_found",
      message: "no container nope",
      details: { operation: "start_container" },
    });
  });

  it("settles from the reply event or the error event when the server sends no ack", async () => {
    server.answer = (event, payload, socket) => {
      if (event === "list_containers") {
        socket.emit("container_list", { request_id: payload.request_id, containers: [] });
      } else {
        socket.emit("error", {
          error_type: "validation_error",
          message: "bad",
          details: { operation: event, request_id: payload.request_id },
        });
      }
      return undefined;
    };
    flow = createFlowClient(server.url);
    await expect(flow.listContainers()).resolves.toMatchObject({ containers: [] });
    await expect(flow.deleteContainer({ container_id: "x" })).rejects.toMatchObject({
      error_type: "validation_error",
    });
  });

  it("rejects with FlowTimeoutError when no answer comes within the call's timeout", async () => {
    flow = createFlowClient(server.url, { timeoutMs: 60_000 });
    const error = await flow
      .getContainerStatus({ container_id: "slow" }, { timeoutMs: 100 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlowTimeoutError);
    expect(error).toMatchObject({ operation: "get_container_status", timeoutMs: 100 });
  });

  it("does not send a request that timed out while disconnected", async () => {
    await server.close();
    flow = createFlowClient(server.url, { reconnection: { delayMs: 50, maxDelayMs: 50 } });
    await expect(flow.listContainers({}, { timeoutMs: 50 })).rejects.toBeInstanceOf(
      FlowTimeoutError,
    );
    expect(flow.socket.sendBuffer).toHaveLength(0);
  });

  it("fails calls with FlowConnectionError once it stops trying to connect", async () => {
    await server.close();
    flow = createFlowClient(server.url, { reconnection: false });
    await expect(flow.ready()).rejects.toBeInstanceOf(FlowConnectionError);
    await expect(flow.listContainers()).rejects.toBeInstanceOf(FlowConnectionError);
    flow.close();

    flow = createFlowClient(server.url, { reconnection: { attempts: 2, delayMs: 10 } });
    const pending = flow.listContainers().catch((e: unknown) => e);
    await expect(flow.ready()).rejects.toThrow(/no reconnection attempts left/);
    expect(await pending).toBeInstanceOf(FlowConnectionError);
  });

  it("buffers calls until connected and reconnects after the connection drops", async () => {
    server.answer = (event, payload) =>
      event === "list_containers"
        ? { ok: true, data: { request_id: payload.request_id, containers: [] } }
        : undefined;
    flow = createFlowClient(server.url, { reconnection: { delayMs: 50, maxDelayMs: 100 } });
    const connects: number[] = [];
    flow.on("connect", () => connects.push(connects.length));
    const reconnects: number[] = [];
    flow.on("reconnect", (attempt) => reconnects.push(attempt));
    // Made before the connection is up.
    await expect(flow.listContainers()).resolves.toMatchObject({ containers: [] });
    expect(flow.connected).toBe(true);

    const disconnects: string[] = [];
    flow.on("disconnect", (reason) => disconnects.push(reason));
    // Drop the transport (as a network failure would): the client reconnects by itself.
    server.sockets[0]!.conn.close();
    // The manager reports the reconnection, then the socket connects again.
    await waitFor(() => connects.length === 2, { message: "second connect" });
    expect(reconnects).toEqual([1]);
    expect(disconnects).toEqual(["transport close"]);
    await expect(flow.listContainers()).resolves.toMatchObject({ containers: [] });
  });

  it("fails a sent call whose connection is lost before the answer", async () => {
    flow = createFlowClient(server.url);
    await flow.ready();
    const pending = flow.stopContainer({ container_id: "x" }).catch((e: unknown) => e);
    await waitFor(() => server.received.length === 1);
    server.sockets[0]!.conn.close();
    const error = await pending;
    expect(error).toBeInstanceOf(FlowConnectionError);
    expect((error as Error).message).toMatch(/stop_container .*connection lost/);
  });

  it("types and delivers push events to on/once listeners, and off removes them", async () => {
    flow = createFlowClient(server.url);
    const welcome = await new Promise<{ client_id: string }>((resolve) =>
      flow.once("connected", resolve),
    );
    expect(welcome.client_id).toBe(flow.socket.id);

    // `delivered` sees every event, so the test knows when one has arrived.
    const delivered: string[] = [];
    flow.on("status_changed", (c) => delivered.push(c.new_status));
    const changes: string[] = [];
    const onChange = (c: { new_status: string }) => changes.push(c.new_status);
    flow.on("status_changed", onChange);
    const onceSeen: string[] = [];
    flow.once("status_changed", (c) => onceSeen.push(c.new_status));
    const change = (status: string) =>
      server.sockets[0]!.emit("status_changed", {
        container_id: "c",
        name: "n",
        old_status: null,
        new_status: status,
        timestamp: new Date().toISOString(),
      });
    change("running");
    await waitFor(() => delivered.length === 1);
    flow.off("status_changed", onChange);
    change("exited");
    await waitFor(() => delivered.length === 2);
    const unsubscribe = flow.on("status_changed", (c) => changes.push(`again:${c.new_status}`));
    change("dead");
    await waitFor(() => delivered.length === 3);
    unsubscribe();
    change("created");
    await waitFor(() => delivered.length === 4);
    expect(changes).toEqual(["running", "again:dead"]);
    expect(onceSeen).toEqual(["running"]);
  });

  it("request() resolves with the container's final reply, passing progress to onStatus", async () => {
    server.answer = (event, payload, socket) => {
      if (event !== "send_message") return undefined;
      const base = { request_id: payload.request_id, container_id: "c1" };
      setImmediate(() => {
        const at = new Date().toISOString();
        // Another message's reply and an unasked message must not be taken for ours.
        socket.emit("message_received", {
          ...base,
          message: { command: "result", reply_to: "m-0" },
          timestamp: at,
        });
        socket.emit("message_received", {
          container_id: "c1",
          message: { command: "tick" },
          timestamp: at,
        });
        socket.emit("message_received", {
          ...base,
          message: { command: "status", data: 1, reply_to: "m-1" },
          timestamp: at,
        });
        socket.emit("message_received", {
          ...base,
          message: { command: "result", data: "done", reply_to: "m-1" },
          timestamp: at,
        });
      });
      return { ok: true, data: { ...base, message_id: "m-1" } };
    };
    flow = createFlowClient(server.url);
    const progress: unknown[] = [];
    const reply = await flow.request(
      "c1",
      { command: "process", data: { input: 1 } },
      { onStatus: (m) => progress.push(m.message.data), replyTimeoutMs: 5000 },
    );
    expect(reply.message).toEqual({ command: "result", data: "done", reply_to: "m-1" });
    expect(progress).toEqual([1]);
    const sent = server.received.find((r) => r.event === "send_message");
    expect(sent?.payload).toMatchObject({
      container_id: "c1",
      message: { command: "process", data: { input: 1 } },
      timeout_ms: 5000,
    });
  });

  it("request() rejects with the FlowError the server sends when the container does not answer", async () => {
    server.answer = (event, payload, socket) => {
      if (event !== "send_message") return undefined;
      setImmediate(() =>
        socket.emit("error", {
          error_type: "socket_timeout_error",
          message: "no reply within 10 ms",
          details: { operation: "send_message", request_id: payload.request_id, message_id: "m-9" },
        }),
      );
      return {
        ok: true,
        data: { request_id: payload.request_id, container_id: "c1", message_id: "m-9" },
      };
    };
    flow = createFlowClient(server.url);
    await expect(flow.request("c1", { command: "sleep" })).rejects.toMatchObject({
      name: "FlowError",
      error_type: "socket_timeout_error",
    });
  });

  it("close() rejects pending calls with FlowClosedError and later calls too", async () => {
    flow = createFlowClient(server.url);
    await flow.ready();
    const pending = flow.listContainers().catch((e: unknown) => e);
    const waiting = flow.request("c1", { command: "x" }).catch((e: unknown) => e);
    await waitFor(() => server.received.length === 2);
    flow.close();
    expect(await pending).toBeInstanceOf(FlowClosedError);
    expect(await waiting).toBeInstanceOf(FlowClosedError);
    await expect(flow.listContainers()).rejects.toBeInstanceOf(FlowClosedError);
  });

  it("aborts a call through its signal", async () => {
    flow = createFlowClient(server.url);
    const controller = new AbortController();
    const pending = flow.listContainers({}, { signal: controller.signal }).catch((e: unknown) => e);
    controller.abort();
    expect(await pending).toBeInstanceOf(FlowClosedError);
  });
});

describe("createFlowClient with a token", () => {
  let server: Scripted;
  let flow: FlowClient;
  beforeEach(async () => {
    server = await scriptedServer({ token: "s3cret-token-value" });
  });
  afterEach(async () => {
    flow?.close();
    await server.close();
  });

  it("sends the token in the handshake", async () => {
    flow = createFlowClient(server.url, { token: () => "s3cret-token-value" });
    await flow.ready();
    expect(server.sockets[0]?.handshake.auth).toEqual({ token: "s3cret-token-value" });
  });

  it("fails ready() and calls with FlowConnectionError when the token is refused", async () => {
    flow = createFlowClient(server.url, { token: "wrong" });
    const pending = flow.listContainers().catch((e: unknown) => e);
    await expect(flow.ready()).rejects.toThrow(/unauthorized/);
    const error = await pending;
    expect(error).toBeInstanceOf(FlowConnectionError);
    await expect(flow.listContainers()).rejects.toBeInstanceOf(FlowConnectionError);
    expect(server.received).toEqual([]);
  });
});
