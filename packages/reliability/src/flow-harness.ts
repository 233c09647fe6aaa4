import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { configFrom, type RunningFlowManager, startFlowManager } from "@dockflow/flow-manager";
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
import type Docker from "dockerode";
import { pino } from "pino";
import { io, type Socket } from "socket.io-client";

/** The flow runtime image the suites drive (FLOW_TEST_IMAGE overrides it). */
export const FLOW_IMAGE = process.env.FLOW_TEST_IMAGE ?? "flow:latest";

/** apps/flow-manager, for running the real entry point as a child process. */
export const FLOW_MANAGER_DIR = resolve(
  dirname(fileURLToPath(import.meta.url)),
  "../../../apps/flow-manager",
);

export function uniqueId(tag: string): string {
  return `rel-${tag}-${testRunId}-${randomBytes(3).toString("hex")}`;
}

/**
 * What a manager writes through pino, one JSON line per entry: the last `maxLines` are kept (so a
 * flood of log lines does not count as the manager's memory), every line is counted.
 */
export class LogCapture {
  readonly lines: string[] = [];
  written = 0;
  constructor(private readonly maxLines = Number.POSITIVE_INFINITY) {}
  write(line: string): void {
    this.written++;
    this.lines.push(line);
    if (this.lines.length > this.maxLines) this.lines.splice(0, this.lines.length - this.maxLines);
  }
  get text(): string {
    return this.lines.join("");
  }
}

export interface ManagerDirs {
  managerId: string;
  /** The allowed root (FLOW_ALLOWED_ROOTS): a fresh temp folder. */
  root: string;
  socketRoot: string;
}

/** Fresh folders and a manager id private to one suite (parallel suites never see each other). */
export async function managerDirs(tag: string): Promise<ManagerDirs> {
  const root = await mkdtemp(join(tmpdir(), "dfrel-root-"));
  // The flow runs as a non-root user in some images: let it read what tests put in the root.
  await chmod(root, 0o755);
  const socketRoot = await mkdtemp("/tmp/dfrs-");
  return { managerId: uniqueId(tag), root, socketRoot };
}

/** The environment of a test manager (loopback, port 0, test labels on its containers). */
export function managerEnv(
  dirs: ManagerDirs,
  overrides: Record<string, string> = {},
): Record<string, string> {
  return {
    HOST: "127.0.0.1",
    PORT: "0",
    FLOW_MANAGER_ID: dirs.managerId,
    FLOW_ALLOWED_ROOTS: dirs.root,
    FLOW_SOCKET_ROOT: dirs.socketRoot,
    FLOW_DEFAULT_LABELS: JSON.stringify(testLabels()),
    FLOW_STATUS_INTERVAL_MS: "1000",
    FLOW_STOP_TIMEOUT_SECONDS: "2",
    LOG_LEVEL: "debug",
    ...overrides,
  };
}

export interface InProcessManager extends ManagerDirs {
  manager: RunningFlowManager;
  url: string;
  logs: LogCapture;
  close(): Promise<void>;
}

/** Starts a flow manager in this process, its pino output captured (not printed). */
export async function startInProcess(
  tag: string,
  overrides: Record<string, string> = {},
  options: { maxLogLines?: number } = {},
): Promise<InProcessManager> {
  const dirs = await managerDirs(tag);
  const env = managerEnv(dirs, overrides);
  const config = configFrom(env);
  const logs = new LogCapture(options.maxLogLines);
  const logger = pino({ level: config.logLevel, name: "flow-manager" }, logs);
  const manager = await startFlowManager(config, { logger });
  return {
    ...dirs,
    manager,
    url: manager.url,
    logs,
    async close() {
      await manager.close();
      await rm(dirs.root, { recursive: true, force: true });
      await rm(dirs.socketRoot, { recursive: true, force: true });
    },
  };
}

/** The real entry point (`node --import tsx src/main.ts`) as a child process. */
export class ManagerProcess {
  readonly output = new LogCapture();
  private exited: Promise<number | null>;
  url = "";

  private constructor(readonly child: ChildProcess) {
    child.stdout?.setEncoding("utf8").on("data", (s: string) => this.output.write(s));
    child.stderr?.setEncoding("utf8").on("data", (s: string) => this.output.write(s));
    this.exited = new Promise((done) => child.once("exit", (code) => done(code)));
  }

  static async start(env: Record<string, string>): Promise<ManagerProcess> {
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
      cwd: FLOW_MANAGER_DIR,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const proc = new ManagerProcess(child);
    let exitCode: number | null | undefined;
    void proc.exited.then((code) => {
      exitCode = code;
    });
    proc.url = await waitFor(
      () => {
        if (exitCode !== undefined) {
          throw new Error(`flow manager exited (${exitCode}): ${proc.output.text.slice(-2000)}`);
        }
        const line = proc.output.lines
          .join("")
          .split("\n")
          .find((l) => l.includes('"flow manager listening"'));
        return line ? (JSON.parse(line) as { url: string }).url : undefined;
      },
      { timeoutMs: 60_000, message: "the flow manager process to listen" },
    );
    return proc;
  }

  /** Runs the entry point with `env` and returns its exit code and output (for refusals). */
  static async runToExit(
    env: Record<string, string>,
  ): Promise<{ code: number | null; output: string }> {
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
      cwd: FLOW_MANAGER_DIR,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const proc = new ManagerProcess(child);
    const code = await proc.exited;
    return { code, output: proc.output.text };
  }

  kill(signal: NodeJS.Signals): Promise<number | null> {
    this.child.kill(signal);
    return this.exited;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }
}

type Received = { event: ServerEventName; payload: unknown };

/** A typed Socket.IO client that records every event it receives. */
export class FlowClient {
  readonly received: Received[] = [];
  private listeners = new Set<(r: Received) => void>();

  private constructor(readonly socket: Socket<ServerToClientEvents, ClientToServerEvents>) {
    socket.onAny((event: ServerEventName, payload: unknown) => {
      const r = { event, payload };
      if (this.keep) this.received.push(r);
      for (const l of this.listeners) l(r);
    });
  }

  /** Whether events are kept in `received` (off for load clients, which use listeners). */
  keep = true;

  static async connect(
    url: string,
    auth?: Record<string, unknown>,
    options: { keep?: boolean } = {},
  ): Promise<FlowClient> {
    const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(url, {
      transports: ["websocket"],
      forceNew: true,
      reconnection: false,
      ...(auth ? { auth } : {}),
    });
    const client = new FlowClient(socket);
    client.keep = options.keep ?? true;
    await new Promise<void>((done, fail) => {
      socket.once("connected", () => done());
      socket.once("connect_error", fail);
    });
    return client;
  }

  /** Tries a handshake; resolves with the refusal message, or "connected". */
  static async attempt(url: string, auth?: Record<string, unknown>): Promise<string> {
    const socket = io(url, {
      transports: ["websocket"],
      forceNew: true,
      reconnection: false,
      ...(auth ? { auth } : {}),
    });
    try {
      return await new Promise<string>((done) => {
        socket.once("connected", () => done("connected"));
        socket.once("connect_error", (err: Error) => done(`refused: ${err.message}`));
      });
    } finally {
      socket.close();
    }
  }

  on(listener: (r: Received) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  call<E extends ClientEventName>(event: E, payload: RequestOf<E>): Promise<Ack<E>> {
    // biome-ignore lint/suspicious/noExplicitAny: the typed emit signature is per event
    return (this.socket.emitWithAck as any)(event, payload) as Promise<Ack<E>>;
  }

  /** Emits anything (malformed requests included) and returns the ack. */
  raw(event: string, ...args: unknown[]): Promise<unknown> {
    // biome-ignore lint/suspicious/noExplicitAny: deliberately untyped
    return (this.socket.emitWithAck as any)(event, ...args);
  }

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

  waitEvent<E extends ServerEventName>(
    event: E,
    match: (payload: ServerPayloadOf<E>) => boolean = () => true,
    timeoutMs = 30_000,
  ): Promise<ServerPayloadOf<E>> {
    return waitFor(() => this.events(event).find(match), { timeoutMs, message: `event ${event}` });
  }

  /** Sends a message and waits for its final reply (`message_received` or `error`). */
  async ask(
    containerId: string,
    command: string,
    data?: unknown,
    timeoutMs = 30_000,
  ): Promise<{ command: string; data: unknown } | { error: string }> {
    const sent = await this.ok("send_message", {
      container_id: containerId,
      message: { command, data },
    });
    return waitFor(
      () => {
        const reply = this.events("message_received").find(
          (m) => m.message.reply_to === sent.message_id && m.message.command !== "status",
        );
        if (reply) return { command: reply.message.command, data: reply.message.data };
        const err = this.events("error").find((e) => e.details.message_id === sent.message_id);
        return err ? { error: err.error_type } : undefined;
      },
      { timeoutMs, message: `the reply to ${command}` },
    );
  }

  close(): void {
    this.socket.close();
  }
}

/** `id:state` of every container Docker has for this manager (its own view is not trusted). */
export async function managedInDocker(docker: Docker, managerId: string): Promise<string[]> {
  const list = await docker.listContainers({
    all: true,
    filters: { label: ["dockflow.flow.managed=true", `dockflow.flow.manager=${managerId}`] },
  });
  return list.map((c) => `${c.Id}:${c.State}`).sort();
}

let gcFn: (() => void) | undefined;

/** V8's gc, without --expose-gc on the command line. */
export function forceGc(): void {
  if (!gcFn) {
    setFlagsFromString("--expose-gc");
    gcFn = runInNewContext("gc") as () => void;
  }
  gcFn();
  gcFn();
}

/** heapUsed and RSS in bytes after a full collection. */
export async function memoryAfterGc(): Promise<{ heapUsed: number; rss: number }> {
  // Let pending I/O callbacks and timers settle before measuring.
  await new Promise((done) => setImmediate(done));
  forceGc();
  const { heapUsed, rss } = process.memoryUsage();
  return { heapUsed, rss };
}

export const MiB = 1024 * 1024;

/** Removes every Docker object this process labelled (for scripts outside the test runner). */
export async function removeTestObjects(): Promise<void> {
  await removeLabelled(dockerFor());
}
