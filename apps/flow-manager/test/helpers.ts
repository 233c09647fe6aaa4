import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type {
  Ack,
  ClientEventName,
  ClientToServerEvents,
  RequestOf,
  ServerEventName,
  ServerPayloadOf,
  ServerToClientEvents,
} from "@dockflow/protocol";
import { dockerFor, removeLabelled, testLabels, testRunId, waitFor } from "@dockflow/testkit";
import type { Logger } from "pino";
import { io, type Socket } from "socket.io-client";
import { configFrom, type RunningFlowManager, startFlowManager } from "../src/index.ts";

/** The flow runtime image; FLOW_TEST_IMAGE overrides it (e.g. while the image is being built). */
export const FLOW_IMAGE = process.env.FLOW_TEST_IMAGE ?? "flow:latest";

export const docker = dockerFor();

/** A container name unique to this run and test file. */
export function uniqueName(tag: string): string {
  return `fmt-${testRunId}-${tag}-${randomBytes(2).toString("hex")}`;
}

export interface TestManager {
  manager: RunningFlowManager;
  url: string;
  managerId: string;
  /** An allowed root (a fresh temp folder) for volumes and code paths. */
  root: string;
  socketRoot: string;
  env: Record<string, string>;
  /** Stops the manager (containers stay) and removes the temp folders unless `keepDirs`. */
  close(keepDirs?: boolean): Promise<void>;
}

/**
 * Starts a flow manager on a free loopback port with its own manager id (so parallel test files
 * never see each other's containers) and the test labels on everything it creates.
 */
export async function startTestManager(
  overrides: Record<string, string> = {},
  reuse?: { managerId: string; root: string; socketRoot: string },
  options: { logger?: Logger } = {},
): Promise<TestManager> {
  const root = reuse?.root ?? (await mkdtemp(join(tmpdir(), "dockflow-fm-root-")));
  const socketRoot = reuse?.socketRoot ?? (await mkdtemp("/tmp/dff-"));
  const managerId = reuse?.managerId ?? `test-${testRunId}-${randomBytes(3).toString("hex")}`;
  const env: Record<string, string> = {
    HOST: "127.0.0.1",
    PORT: "0",
    FLOW_MANAGER_ID: managerId,
    FLOW_ALLOWED_ROOTS: root,
    FLOW_SOCKET_ROOT: socketRoot,
    FLOW_DEFAULT_LABELS: JSON.stringify(testLabels()),
    FLOW_STATUS_INTERVAL_MS: "500",
    FLOW_STOP_TIMEOUT_SECONDS: "2",
    LOG_LEVEL: process.env.FLOW_TEST_LOG_LEVEL ?? "silent",
    ...overrides,
  };
  const manager = await startFlowManager(configFrom(env), options);
  return {
    manager,
    url: manager.url,
    managerId,
    root,
    socketRoot,
    env,
    async close(keepDirs = false) {
      await manager.close();
      if (!keepDirs) {
        await rm(root, { recursive: true, force: true });
        await rm(socketRoot, { recursive: true, force: true });
      }
    },
  };
}

type Received = { event: ServerEventName; payload: unknown; at: number };

/** A typed Socket.IO client that records every event it receives. */
export class TestClient {
  readonly received: Received[] = [];
  readonly socket: Socket<ServerToClientEvents, ClientToServerEvents>;

  private constructor(socket: Socket<ServerToClientEvents, ClientToServerEvents>) {
    this.socket = socket;
    socket.onAny((event: ServerEventName, payload: unknown) => {
      this.received.push({ event, payload, at: Date.now() });
    });
  }

  static async connect(url: string, auth?: Record<string, unknown>): Promise<TestClient> {
    const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(url, {
      transports: ["websocket"],
      forceNew: true,
      reconnection: false,
      ...(auth ? { auth } : {}),
    });
    const client = new TestClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once("connected", () => resolve());
      socket.once("connect_error", reject);
    });
    return client;
  }

  /** Emits a request with an acknowledgement callback and returns the ack. */
  call<E extends ClientEventName>(event: E, payload: RequestOf<E>): Promise<Ack<E>> {
    // biome-ignore lint/suspicious/noExplicitAny: the typed emit signature is per event
    return (this.socket.emitWithAck as any)(event, payload) as Promise<Ack<E>>;
  }

  /** Emits anything (malformed requests included) and returns the ack. */
  raw(event: string, ...args: unknown[]): Promise<unknown> {
    // biome-ignore lint/suspicious/noExplicitAny: deliberately untyped
    return (this.socket.emitWithAck as any)(event, ...args);
  }

  /** Like call, but fails the test unless the ack is ok. */
  async ok<E extends ClientEventName>(event: E, payload: RequestOf<E>) {
    const ack = await this.call(event, payload);
    if (!ack.ok) throw new Error(`${event} failed: ${ack.error.error_type}: ${ack.error.message}`);
    return ack.data;
  }

  events<E extends ServerEventName>(event: E): ServerPayloadOf<E>[] {
    return this.received
      .filter((r) => r.event === event)
      .map((r) => r.payload as ServerPayloadOf<E>);
  }

  /** Waits until an `event` matching `match` has been received, and returns it. */
  waitEvent<E extends ServerEventName>(
    event: E,
    match: (payload: ServerPayloadOf<E>) => boolean = () => true,
    timeoutMs = 30_000,
  ): Promise<ServerPayloadOf<E>> {
    return waitFor(() => this.events(event).find(match), {
      timeoutMs,
      message: `event ${event}`,
    });
  }

  close(): void {
    this.socket.close();
  }
}

/** Creates and starts a flow container through the client; returns its id. */
export async function runFlow(
  client: TestClient,
  name: string,
  extra: Partial<RequestOf<"create_container">> = {},
): Promise<string> {
  const created = await client.ok("create_container", { image: FLOW_IMAGE, name, ...extra });
  await client.ok("start_container", { container_id: created.container_id });
  return created.container_id;
}

/** Sends a message and waits for its final reply (result or error) as message_received. */
export async function ask(
  client: TestClient,
  containerId: string,
  command: string,
  data?: unknown,
): Promise<ServerPayloadOf<"message_received">> {
  const sent = await client.ok("send_message", {
    container_id: containerId,
    message: { command, data },
  });
  return client.waitEvent(
    "message_received",
    (m) => m.message.reply_to === sent.message_id && m.message.command !== "status",
  );
}

/** A test manager with one connected client; `close` ends both and removes this run's containers. */
export async function startManagerWithClient(overrides: Record<string, string> = {}) {
  const fm = await startTestManager(overrides);
  const client = await TestClient.connect(fm.url);
  return {
    fm,
    client,
    async close() {
      client.close();
      await fm.close();
      await removeLabelled(docker);
    },
  };
}
