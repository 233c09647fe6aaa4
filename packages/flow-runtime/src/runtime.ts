import { chmod, mkdir, rm } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { join, resolve } from "node:path";
import {
  type ContainerEnvelope,
  FLOW_CODE_DIR_IN_CONTAINER,
  FLOW_SOCKET_DIR_IN_CONTAINER,
  FLOW_SOCKET_NAME,
  HostEnvelope,
  MAX_ENVELOPE_BYTES,
} from "@dockflow/protocol";
import { createDemoHandlers } from "./demo.ts";
import { type HandlerContext, type HandlerTable, RESERVED_PREFIX } from "./handlers.ts";
import { CodeLoadError, type LoadedCode, loadCode } from "./loader.ts";
import { errorFields, jsonLogger, type Logger } from "./log.ts";
import { EnvelopeTooLargeError, encodeEnvelope, type LineEvent, LineReader } from "./ndjson.ts";

export interface RuntimeOptions {
  /** Folder of the socket; `flow.sock` is created in it (default /run/flow). */
  socketDir?: string;
  /** Folder of the handler module (default /app/flow). */
  codeDir?: string;
  /** Structured log sink (default: JSON lines on stdout, level info). */
  log?: Logger;
  /** How the `crash` demo command ends the process (default process.exit). */
  exit?: (code: number) => void;
  /** Longest line accepted or sent (default MAX_ENVELOPE_BYTES). */
  maxEnvelopeBytes?: number;
}

/** The data of a successful `flow.reload`. */
export interface ReloadResult {
  reloaded: true;
  code_version: string;
  handlers: string[];
}

/** The data of a `flow.ping` result. */
export interface PingResult {
  pong: true;
  pid: number;
  uptime_ms: number;
  code_version: string;
  /** Present while no code is loaded because the initial load failed. */
  load_error?: string;
}

export interface Runtime {
  readonly socketPath: string;
  readonly codeDir: string;
  /** Content hash of the loaded code, or `builtin` for the demo handlers. */
  readonly codeVersion: string;
  /** Names of the commands the loaded code handles (sorted). */
  readonly handlers: string[];
  /** Open manager connections. */
  readonly connections: number;
  /** Re-imports the code; rejects (keeping the old handlers) if the new code fails to load. */
  reload(): Promise<ReloadResult>;
  /** Sends an unasked message to every connection; returns how many it was written to. */
  send(command: string, data?: unknown): number;
  /** Stops listening, drops connections, aborts handlers' signals, removes the socket file. */
  close(): Promise<void>;
}

/** `error` data codes the runtime itself produces. */
export const RUNTIME_ERROR_CODES = [
  "invalid_json",
  "invalid_utf8",
  "invalid_envelope",
  "envelope_too_large",
  "unknown_command",
  "code_not_loaded",
  "reload_failed",
  "result_too_large",
  "unserializable_result",
] as const;
export type RuntimeErrorCode = (typeof RUNTIME_ERROR_CODES)[number];

interface Connection {
  readonly id: number;
  readonly socket: Socket;
  readonly reader: LineReader;
}

/** Replies waiting in a connection's write buffer beyond this make it drop the connection. */
const MAX_PENDING_FACTOR = 4;

/** Starts the runtime: loads the code, then listens on `<socketDir>/flow.sock`. */
export async function startRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  const runtime = new FlowRuntime(options);
  await runtime.start();
  return runtime;
}

function errorData(error: unknown): { message: string; name: string; code?: string } {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      message: error.message,
      name: error.name,
      ...(typeof code === "string" ? { code } : {}),
    };
  }
  return { message: String(error), name: "Error" };
}

function abortReason(message: string): Error {
  return new DOMException(message, "AbortError");
}

class FlowRuntime implements Runtime {
  readonly socketPath: string;
  readonly codeDir: string;
  readonly #log: Logger;
  readonly #exit: (code: number) => void;
  readonly #maxBytes: number;
  readonly #demo: HandlerTable;
  readonly #server: Server;
  readonly #connections = new Set<Connection>();
  readonly #startedAt = Date.now();
  #nextConnectionId = 1;
  #code: LoadedCode | null = null;
  /** Why no code is loaded (only while `#code` is null). */
  #loadError: CodeLoadError | null = null;
  /** Aborted when the current code is replaced or the runtime closes. */
  #generation = new AbortController();
  #reloads: Promise<unknown> = Promise.resolve();
  #closing: Promise<void> | null = null;

  constructor(options: RuntimeOptions) {
    this.socketPath = join(
      resolve(options.socketDir ?? FLOW_SOCKET_DIR_IN_CONTAINER),
      FLOW_SOCKET_NAME,
    );
    this.codeDir = resolve(options.codeDir ?? FLOW_CODE_DIR_IN_CONTAINER);
    this.#log = options.log ?? jsonLogger();
    this.#exit = options.exit ?? ((code) => process.exit(code));
    this.#maxBytes = options.maxEnvelopeBytes ?? MAX_ENVELOPE_BYTES;
    this.#demo = createDemoHandlers({ codeDir: this.codeDir, exit: this.#exit });
    this.#server = createServer((socket) => this.#accept(socket));
  }

  get codeVersion(): string {
    return this.#code?.version ?? this.#loadError?.version ?? "none";
  }

  get handlers(): string[] {
    return [...(this.#code?.handlers.keys() ?? [])].sort();
  }

  get connections(): number {
    return this.#connections.size;
  }

  async start(): Promise<void> {
    try {
      this.#code = await loadCode(this.codeDir, () => this.#demo);
      this.#logLoaded("code loaded", this.#code);
    } catch (error) {
      if (!(error instanceof CodeLoadError)) throw error;
      // Keep running: the manager can still ping, and a `flow.reload` may bring good code.
      this.#loadError = error;
      this.#log("error", "code failed to load", {
        code_dir: this.codeDir,
        code_version: error.version,
        error: errorFields(error.cause ?? error),
      });
    }
    await mkdir(resolve(this.socketPath, ".."), { recursive: true });
    await rm(this.socketPath, { force: true }); // a stale socket from an earlier run
    await new Promise<void>((resolveListen, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(this.socketPath, () => {
        this.#server.off("error", reject);
        resolveListen();
      });
    });
    this.#server.on("error", (error) => {
      this.#log("error", "socket server error", { error: errorFields(error) });
    });
    // A manager running as another user must be able to connect.
    await chmod(this.socketPath, 0o666);
    this.#log("info", "flow runtime listening", {
      socket: this.socketPath,
      code_dir: this.codeDir,
      code_version: this.codeVersion,
      handlers: this.handlers,
      pid: process.pid,
      node: process.version,
    });
  }

  reload(): Promise<ReloadResult> {
    const run = this.#reloads.then(() => this.#reload());
    this.#reloads = run.catch(() => undefined);
    return run;
  }

  async #reload(): Promise<ReloadResult> {
    if (this.#closing) throw new Error("the runtime is shutting down");
    let code: LoadedCode;
    try {
      code = await loadCode(this.codeDir, () => this.#demo);
    } catch (error) {
      this.#log("error", "code reload failed, keeping the previous code", {
        code_dir: this.codeDir,
        code_version: this.codeVersion,
        error: errorFields(error instanceof CodeLoadError ? (error.cause ?? error) : error),
      });
      throw error;
    }
    const previous = this.#generation;
    this.#generation = new AbortController();
    this.#code = code;
    this.#loadError = null;
    previous.abort(abortReason("the code was reloaded"));
    this.#logLoaded("code reloaded", code);
    return { reloaded: true, code_version: code.version, handlers: this.handlers };
  }

  #logLoaded(msg: string, code: LoadedCode): void {
    this.#log("info", msg, {
      code_dir: this.codeDir,
      source: code.source,
      entry: code.entry,
      code_version: code.version,
      handlers: this.handlers,
    });
    if (code.ignored.length > 0) {
      this.#log("warn", "exports with reserved names were ignored", { names: code.ignored });
    }
  }

  send(command: string, data?: unknown): number {
    if (typeof command !== "string" || command.length === 0 || command.length > 256) {
      throw new TypeError("command must be a string of 1 to 256 characters");
    }
    const line = encodeEnvelope({ command, data }, this.#maxBytes);
    let sent = 0;
    for (const connection of this.#connections) {
      if (this.#writeLine(connection, line)) sent++;
    }
    return sent;
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#generation.abort(abortReason("the runtime is shutting down"));
    const closed = new Promise<void>((done) => this.#server.close(() => done()));
    for (const connection of this.#connections) connection.socket.destroy();
    await closed;
    await rm(this.socketPath, { force: true });
    this.#log("info", "flow runtime stopped", { socket: this.socketPath });
  }

  #accept(socket: Socket): void {
    if (this.#closing) {
      socket.destroy();
      return;
    }
    const connection: Connection = {
      id: this.#nextConnectionId++,
      socket,
      reader: new LineReader({ maxLineBytes: this.#maxBytes }),
    };
    this.#connections.add(connection);
    this.#log("debug", "manager connected", { connection: connection.id });
    socket.on("data", (chunk: Buffer) => {
      for (const event of connection.reader.push(chunk)) this.#onEvent(connection, event);
    });
    socket.on("error", (error) => {
      this.#log("debug", "connection error", { connection: connection.id, error: error.message });
    });
    socket.on("close", () => {
      this.#connections.delete(connection);
      this.#log("debug", "manager disconnected", { connection: connection.id });
    });
  }

  #onEvent(connection: Connection, event: LineEvent): void {
    if (event.type === "message") {
      this.#onMessage(connection, event.value);
      return;
    }
    const [code, message] =
      event.type === "oversized"
        ? (["envelope_too_large", `line longer than ${this.#maxBytes} bytes: dropped`] as const)
        : ([event.reason === "utf8" ? "invalid_utf8" : "invalid_json", event.message] as const);
    this.#log("warn", "protocol error", { connection: connection.id, code, message });
    this.#reply(connection, { command: "error", data: { message, code } });
  }

  #onMessage(connection: Connection, value: unknown): void {
    const parsed = HostEnvelope.safeParse(value);
    if (parsed.success) {
      void this.#dispatch(connection, parsed.data);
      return;
    }
    const id = (value as { id?: unknown } | null)?.id;
    const replyTo = typeof id === "string" && id.length > 0 && id.length <= 128 ? id : undefined;
    const issues = parsed.error.issues
      .map(
        (issue) => `${issue.path.length > 0 ? issue.path.join(".") : "envelope"}: ${issue.message}`,
      )
      .join("; ");
    const message = `invalid envelope (${issues})`;
    this.#log("warn", "protocol error", {
      connection: connection.id,
      code: "invalid_envelope",
      message,
    });
    this.#reply(connection, {
      ...(replyTo === undefined ? {} : { reply_to: replyTo }),
      command: "error",
      data: { message, code: "invalid_envelope" },
    });
  }

  async #dispatch(connection: Connection, { id, command, data }: HostEnvelope): Promise<void> {
    if (command.startsWith(RESERVED_PREFIX)) {
      await this.#reserved(connection, id, command);
      return;
    }
    const code = this.#code;
    const handler = code?.handlers.get(command);
    if (!handler) {
      const error =
        code === null
          ? { message: `no code is loaded: ${this.#loadError?.message}`, code: "code_not_loaded" }
          : { message: `unknown command: ${command}`, code: "unknown_command" };
      this.#reply(connection, { reply_to: id, command: "error", data: error });
      return;
    }
    const afterReply: (() => void)[] = [];
    let answered = false;
    const ctx: HandlerContext = {
      id,
      command,
      signal: this.#generation.signal,
      send: (name, payload) => this.send(name, payload),
      status: (payload) => {
        if (answered) return;
        const line = encodeEnvelope(
          { reply_to: id, command: "status", data: payload },
          this.#maxBytes,
        );
        this.#writeLine(connection, line);
      },
      afterReply: (fn) => {
        if (answered) setImmediate(() => this.#runAfterReply([fn]));
        else afterReply.push(fn);
      },
    };
    let reply: ContainerEnvelope;
    try {
      const result = await handler(data, ctx);
      reply = { reply_to: id, command: "result", data: result };
    } catch (error) {
      this.#log("error", "handler failed", { id, command, error: errorFields(error) });
      reply = { reply_to: id, command: "error", data: errorData(error) };
    }
    answered = true;
    this.#reply(connection, reply, () => this.#runAfterReply(afterReply));
  }

  async #reserved(connection: Connection, id: string, command: string): Promise<void> {
    switch (command) {
      case "flow.ping": {
        const pong: PingResult = {
          pong: true,
          pid: process.pid,
          uptime_ms: Date.now() - this.#startedAt,
          code_version: this.codeVersion,
          ...(this.#code === null && this.#loadError
            ? { load_error: this.#loadError.message }
            : {}),
        };
        this.#reply(connection, { reply_to: id, command: "result", data: pong });
        return;
      }
      case "flow.reload": {
        try {
          const result = await this.reload();
          this.#reply(connection, { reply_to: id, command: "result", data: result });
        } catch (error) {
          this.#reply(connection, {
            reply_to: id,
            command: "error",
            data: { ...errorData(error), code: "reload_failed" },
          });
        }
        return;
      }
      default:
        this.#reply(connection, {
          reply_to: id,
          command: "error",
          data: { message: `unknown command: ${command}`, code: "unknown_command" },
        });
    }
  }

  #runAfterReply(callbacks: (() => void)[]): void {
    for (const fn of callbacks) {
      try {
        fn();
      } catch (error) {
        this.#log("error", "afterReply callback failed", { error: errorFields(error) });
      }
    }
  }

  /**
   * Writes a runtime-made envelope. A final reply that cannot be encoded (too large, not JSON)
   * is replaced by an error reply, so the request is still answered.
   */
  #reply(connection: Connection, envelope: ContainerEnvelope, written?: () => void): void {
    let line: string;
    try {
      line = encodeEnvelope(envelope, this.#maxBytes);
    } catch (error) {
      const tooLarge = error instanceof EnvelopeTooLargeError;
      const data = {
        message: `the ${envelope.command} could not be sent: ${(error as Error).message}`,
        code: tooLarge ? "result_too_large" : "unserializable_result",
      };
      this.#log("error", "reply could not be encoded", {
        reply_to: envelope.reply_to,
        code: data.code,
      });
      line = encodeEnvelope({ reply_to: envelope.reply_to, command: "error", data });
    }
    if (!this.#writeLine(connection, line, written)) written?.();
  }

  /** Writes one line; false if the connection is gone. Drops a connection that stops reading. */
  #writeLine(connection: Connection, line: string, written?: () => void): boolean {
    const { socket } = connection;
    if (socket.destroyed || !socket.writable) return false;
    socket.write(line, () => written?.());
    if (socket.writableLength > MAX_PENDING_FACTOR * this.#maxBytes) {
      this.#log("warn", "manager connection is not reading: dropped", {
        connection: connection.id,
        pending_bytes: socket.writableLength,
      });
      socket.destroy();
    }
    return true;
  }
}
