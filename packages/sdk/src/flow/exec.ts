import type { Socket } from "socket.io-client";
import type {
  ExecEnded,
  ExecOutput,
  ExecStarted,
  FlowReplies,
  FlowRequestName,
  FlowRequests,
} from "../generated/flow-events.ts";
import { FlowConnectionError } from "./errors.ts";

/** Per-call options the exec session passes on to the client's `call`. */
export interface FlowExecCallOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface FlowExecOptions extends FlowExecCallOptions {
  /** The command and its arguments (default `["/bin/sh"]`). */
  cmd?: string[];
  /** Allocate a terminal: output arrives raw and merged (`stdout`), `resize()` works. */
  tty?: boolean;
  /** Initial terminal size (with `tty`; default 80 × 24). */
  cols?: number;
  rows?: number;
  /** Extra environment variables for the process. */
  env?: Record<string, string>;
}

/** A piece of a session's output, as bytes (terminal output is not always whole characters). */
export interface FlowExecOutput {
  stream: ExecOutput["stream"];
  data: Uint8Array;
}

/**
 * An exec session in a container, driven by this client only. Output is kept until the first
 * consumer (`onOutput` or the async iterator) attaches, then delivered as it comes. The session
 * ends when the process exits, after `close()`, or with the connection (the manager then kills it).
 */
export interface FlowExecSession extends AsyncIterable<FlowExecOutput> {
  readonly id: string;
  readonly containerId: string;
  readonly tty: boolean;
  /** Resolves with the exit code once the session has ended (null when Docker no longer knew it). */
  readonly exitCode: Promise<number | null>;
  /** Writes to the process's standard input: a string as UTF-8, bytes as they are. */
  write(data: string | Uint8Array, options?: FlowExecCallOptions): Promise<void>;
  /** Resizes the terminal (sessions started with `tty`). */
  resize(cols: number, rows: number, options?: FlowExecCallOptions): Promise<void>;
  /** Ends the process (SIGHUP, then SIGKILL) and resolves with its exit code. */
  close(options?: FlowExecCallOptions): Promise<number | null>;
  /** Calls `listener` with each piece of output; returns a function that removes it. */
  onOutput(listener: (output: FlowExecOutput) => void): () => void;
}

type Call = <E extends FlowRequestName>(
  event: E,
  payload: FlowRequests[E],
  options?: FlowExecCallOptions,
) => Promise<FlowReplies[E]>;

/** Starts a session through `call` (the flow client's), listening on its socket. */
export async function startExec(
  socket: Socket,
  call: Call,
  containerId: string,
  options: FlowExecOptions = {},
): Promise<FlowExecSession> {
  const { cmd, tty, cols, rows, env, timeoutMs, signal } = options;
  // Output may arrive in the same batch as the reply: collect it until the session id is known.
  const early: { event: "output" | "ended"; payload: ExecOutput | ExecEnded }[] = [];
  const onEarlyOutput = (payload: ExecOutput) => early.push({ event: "output", payload });
  const onEarlyEnded = (payload: ExecEnded) => early.push({ event: "ended", payload });
  socket.on("exec_output", onEarlyOutput);
  socket.on("exec_ended", onEarlyEnded);
  let started: ExecStarted;
  try {
    started = await call(
      "exec_start",
      {
        container_id: containerId,
        ...(cmd !== undefined && { cmd }),
        ...(tty !== undefined && { tty }),
        ...(cols !== undefined && { cols }),
        ...(rows !== undefined && { rows }),
        ...(env !== undefined && { env }),
      },
      { ...(timeoutMs !== undefined && { timeoutMs }), ...(signal && { signal }) },
    );
  } finally {
    socket.off("exec_output", onEarlyOutput);
    socket.off("exec_ended", onEarlyEnded);
  }
  const session = new Session(socket, call, started);
  for (const { event, payload } of early) {
    if (payload.session_id !== started.session_id) continue;
    if (event === "output") session.onWireOutput(payload as ExecOutput);
    else session.onWireEnded(payload as ExecEnded);
  }
  return session;
}

class Session implements FlowExecSession {
  readonly id: string;
  readonly containerId: string;
  readonly tty: boolean;
  readonly exitCode: Promise<number | null>;
  private readonly listeners = new Set<(output: FlowExecOutput) => void>();
  /** Output kept until the first consumer attaches. */
  private backlog: FlowExecOutput[] | null = [];
  private ended = false;
  private resolveExit: (code: number | null) => void = () => {};
  private rejectExit: (error: Error) => void = () => {};
  private readonly endWaiters = new Set<() => void>();

  constructor(
    private readonly socket: Socket,
    private readonly call: Call,
    started: ExecStarted,
  ) {
    this.id = started.session_id;
    this.containerId = started.container_id;
    this.tty = started.tty;
    this.exitCode = new Promise((resolve, reject) => {
      this.resolveExit = resolve;
      this.rejectExit = reject;
    });
    // Callers that only iterate or close still see a lost connection through close()/iteration.
    this.exitCode.catch(() => undefined);
    socket.on("exec_output", this.onWireOutput);
    socket.on("exec_ended", this.onWireEnded);
    socket.on("disconnect", this.onDisconnect);
  }

  readonly onWireOutput = (payload: ExecOutput): void => {
    if (payload?.session_id !== this.id) return;
    const output = { stream: payload.stream, data: fromBase64(payload.data) };
    if (this.backlog) this.backlog.push(output);
    else for (const listener of this.listeners) listener(output);
  };

  readonly onWireEnded = (payload: ExecEnded): void => {
    if (payload?.session_id !== this.id) return;
    this.finish(() => this.resolveExit(payload.exit_code));
  };

  private readonly onDisconnect = (reason: string): void => {
    const error = new FlowConnectionError(
      `exec session ${this.id}: connection lost (${reason}); the manager ends the session with it`,
    );
    this.finish(() => this.rejectExit(error));
  };

  private finish(settle: () => void): void {
    if (this.ended) return;
    this.ended = true;
    this.socket.off("exec_output", this.onWireOutput);
    this.socket.off("exec_ended", this.onWireEnded);
    this.socket.off("disconnect", this.onDisconnect);
    settle();
    for (const waiter of [...this.endWaiters]) waiter();
  }

  async write(data: string | Uint8Array, options?: FlowExecCallOptions): Promise<void> {
    await this.call(
      "exec_input",
      typeof data === "string"
        ? { session_id: this.id, data }
        : { session_id: this.id, data: toBase64(data), encoding: "base64" },
      options,
    );
  }

  async resize(cols: number, rows: number, options?: FlowExecCallOptions): Promise<void> {
    await this.call("exec_resize", { session_id: this.id, cols, rows }, options);
  }

  async close(options?: FlowExecCallOptions): Promise<number | null> {
    if (!this.ended) await this.call("exec_close", { session_id: this.id }, options);
    return this.exitCode;
  }

  onOutput(listener: (output: FlowExecOutput) => void): () => void {
    this.listeners.add(listener);
    this.drainBacklog();
    return () => this.listeners.delete(listener);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<FlowExecOutput> {
    const queue: FlowExecOutput[] = [];
    let wake: (() => void) | null = null;
    const listener = (output: FlowExecOutput) => {
      queue.push(output);
      wake?.();
    };
    const onEnd = () => wake?.();
    this.endWaiters.add(onEnd);
    const off = this.onOutput(listener);
    try {
      for (;;) {
        const next = queue.shift();
        if (next) {
          yield next;
          continue;
        }
        if (this.ended) break;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = null;
      }
      // A session that ended with the connection ends its iteration with that error.
      await this.exitCode;
    } finally {
      off();
      this.endWaiters.delete(onEnd);
    }
  }

  private drainBacklog(): void {
    const backlog = this.backlog;
    if (!backlog) return;
    this.backlog = null;
    for (const output of backlog) for (const listener of this.listeners) listener(output);
  }
}

/** base64 to bytes, in Node and in browsers alike. */
function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}
