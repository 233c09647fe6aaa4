import { connect, type Socket } from "node:net";
import { encodeEnvelope, LineReader } from "@dockflow/flow-runtime";
import { ContainerEnvelope, type HostEnvelope } from "@dockflow/protocol";
import type { Logger } from "pino";
import { Deadlines } from "./deadlines.ts";
import { FlowError } from "./errors.ts";

export interface PendingHandlers {
  /** Every message with `reply_to` = this request's id; `final` is true for result/error. */
  onMessage(envelope: ContainerEnvelope, final: boolean): void;
  /** The request ended without a final reply (timeout, connection lost, closed). */
  onFailure(error: FlowError): void;
}

interface Pending {
  handlers: PendingHandlers;
  timeoutMs: number;
}

const RETRY_MIN_MS = 25;
const RETRY_MAX_MS = 2000;

/**
 * One persistent client connection to the Unix socket a flow container listens on. Requests are
 * multiplexed by id; replies are routed by `reply_to`; anything else is unasked. While `active`,
 * a lost connection is re-established with exponential backoff.
 */
export class ContainerConnection {
  private socket: Socket | null = null;
  private connecting: Promise<Socket> | null = null;
  private readonly pending = new Map<string, Pending>();
  private readonly deadlines = new Deadlines<string>({ onExpired: (id) => this.expire(id) });
  /** Lines written in the current tick (see `write`). */
  private writesThisTick = 0;
  private active = false;
  private retryDelay = RETRY_MIN_MS;
  private retryTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly path: string,
    private readonly onUnasked: (envelope: ContainerEnvelope) => void,
    private readonly log: Logger,
  ) {}

  get connected(): boolean {
    return this.socket !== null;
  }

  /** Keep (or stop keeping) the connection up in the background. */
  setActive(active: boolean): void {
    if (this.closed) return;
    this.active = active;
    if (active) {
      this.retryDelay = RETRY_MIN_MS;
      if (!this.socket && !this.connecting && !this.retryTimer) this.scheduleRetry(0);
    } else if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
  }

  /**
   * Writes a request and routes its replies to `handlers` until a final one or `timeoutMs`.
   * Resolves once the envelope is written to the socket. If not connected, waits up to `connectWaitMs` for the
   * connection (the runtime may still be starting) when `canWait` says the container is running.
   */
  request(
    envelope: HostEnvelope,
    timeoutMs: number,
    handlers: PendingHandlers,
    connectWaitMs: number,
  ): Promise<void> {
    // Connected (the usual case): written now, before the caller goes on with its bookkeeping.
    if (this.socket) {
      try {
        this.send(this.socket, envelope, timeoutMs, handlers);
        return Promise.resolve();
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return this.ready(connectWaitMs).then((socket) =>
      this.send(socket, envelope, timeoutMs, handlers),
    );
  }

  private send(
    socket: Socket,
    envelope: HostEnvelope,
    timeoutMs: number,
    handlers: PendingHandlers,
  ): void {
    let line: string;
    try {
      line = encodeEnvelope(envelope);
    } catch (error) {
      throw new FlowError(
        "validation_error",
        `message cannot be sent: ${(error as Error).message}`,
      );
    }
    this.pending.set(envelope.id, { handlers, timeoutMs });
    this.deadlines.add(envelope.id, timeoutMs);
    // Handed to the socket: a later write failure closes it, which fails every pending request.
    this.write(socket, line);
  }

  /**
   * The first line of a tick leaves at once, so the container starts on it while the manager
   * finishes its own work; lines after it in the same tick (several messages in one chunk from a
   * client) are corked and leave together in one writev when the tick ends.
   */
  private write(socket: Socket, line: string): void {
    if (this.writesThisTick === 0) process.nextTick(this.endTick, socket);
    else if (this.writesThisTick === 1) socket.cork();
    this.writesThisTick++;
    socket.write(line);
  }

  private readonly endTick = (socket: Socket): void => {
    if (this.writesThisTick > 1) socket.uncork();
    this.writesThisTick = 0;
  };

  private expire(id: string): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    pending.handlers.onFailure(
      new FlowError(
        "socket_timeout_error",
        `no reply from the container within ${pending.timeoutMs} ms`,
        { message_id: id, timeout_ms: pending.timeoutMs },
      ),
    );
  }

  /** Closes for good, failing whatever is pending. */
  close(reason = "the connection to the container was closed"): void {
    this.closed = true;
    this.active = false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.socket?.destroy();
    this.socket = null;
    this.failPending(new FlowError("socket_error", reason));
    for (const wake of this.waiters) wake();
  }

  /** The connected socket; waits for the background connection up to `waitMs`. */
  private async ready(waitMs: number): Promise<Socket> {
    if (this.socket) return this.socket;
    if (this.closed) throw new FlowError("socket_connection_error", "connection closed");
    const deadline = Date.now() + waitMs;
    let lastError: FlowError | null = null;
    for (;;) {
      try {
        return await this.connectOnce();
      } catch (error) {
        lastError =
          error instanceof FlowError
            ? error
            : new FlowError("socket_connection_error", String(error));
      }
      const left = deadline - Date.now();
      if (left <= 0 || this.closed || !this.active) throw lastError;
      await this.waitForChange(Math.min(left, this.retryDelay));
    }
  }

  private waitForChange(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  private connectOnce(): Promise<Socket> {
    if (this.socket) return Promise.resolve(this.socket);
    if (this.connecting) return this.connecting;
    this.connecting = new Promise<Socket>((resolve, reject) => {
      const socket = connect(this.path);
      const onError = (err: NodeJS.ErrnoException) => {
        socket.destroy();
        reject(classify(err, this.path));
      };
      socket.once("error", onError);
      socket.once("connect", () => {
        socket.off("error", onError);
        this.attach(socket);
        resolve(socket);
      });
    }).finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private attach(socket: Socket): void {
    this.socket = socket;
    this.retryDelay = RETRY_MIN_MS;
    socket.setNoDelay(true);
    const reader = new LineReader();
    socket.on("data", (chunk: Buffer) => {
      for (const event of reader.push(chunk)) {
        if (event.type === "message") this.onMessage(event.value);
        else
          this.log.warn(
            { path: this.path, problem: event.type },
            "dropped a bad line from a container",
          );
      }
    });
    socket.on("error", (err) =>
      this.log.debug({ err: err.message, path: this.path }, "container socket error"),
    );
    socket.on("close", () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.failPending(
        new FlowError("socket_error", "the container closed the connection before replying"),
      );
      if (this.active && !this.closed) this.scheduleRetry(this.retryDelay);
    });
    for (const wake of this.waiters) wake();
    this.log.debug({ path: this.path }, "connected to container socket");
  }

  private scheduleRetry(delay: number): void {
    if (this.retryTimer || this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.active || this.closed || this.socket) return;
      this.connectOnce().catch(() => {
        this.retryDelay = Math.min(this.retryDelay * 2, RETRY_MAX_MS);
        if (this.active) this.scheduleRetry(this.retryDelay);
      });
    }, delay);
    this.retryTimer.unref();
  }

  private onMessage(value: unknown): void {
    const result = ContainerEnvelope.safeParse(value);
    if (!result.success) {
      this.log.warn({ path: this.path }, "dropped a malformed envelope from a container");
      return;
    }
    const parsed = result.data;
    if (parsed.reply_to !== undefined) {
      const pending = this.pending.get(parsed.reply_to);
      if (!pending) {
        this.log.debug({ reply_to: parsed.reply_to }, "late reply (request already ended)");
        return;
      }
      const final = parsed.command !== "status";
      if (final) {
        this.pending.delete(parsed.reply_to);
        this.deadlines.delete(parsed.reply_to);
      }
      pending.handlers.onMessage(parsed, final);
      return;
    }
    this.onUnasked(parsed);
  }

  private failPending(error: FlowError): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    this.deadlines.clear();
    for (const p of all) p.handlers.onFailure(error);
  }
}

function classify(err: NodeJS.ErrnoException, path: string): FlowError {
  if (err.code === "ENOENT" || err.code === "ECONNREFUSED" || err.code === "ENOTSOCK") {
    return new FlowError(
      "socket_connection_error",
      err.code === "ENOENT"
        ? "the container's socket file does not exist (is the flow runtime running?)"
        : "the container's socket refused the connection",
      { code: err.code, socket_path: path },
    );
  }
  return new FlowError("socket_error", `container socket: ${err.message}`, { code: err.code });
}
