import { io, type ManagerOptions, type Socket, type SocketOptions } from "socket.io-client";
import {
  type ErrorBody,
  type FlowAcks,
  type FlowMessage,
  type FlowReplies,
  type FlowRequestMethods,
  type FlowRequestName,
  type FlowRequests,
  type FlowServerEventName,
  type FlowServerEvents,
  flowRequests,
  type LogLine,
  type MessageReceived,
} from "../generated/flow-events.ts";
import { FlowClosedError, FlowConnectionError, FlowError, FlowTimeoutError } from "./errors.ts";
import { type FlowExecOptions, type FlowExecSession, startExec } from "./exec.ts";
import { type FlowLogStream, type FlowLogsOptions, followLogs } from "./logs.ts";

/** Socket.IO's reconnection settings (on by default: unlimited attempts, 1 s to 5 s apart). */
export interface FlowReconnectionOptions {
  /** Give up after this many attempts (default: never). */
  attempts?: number;
  /** First delay between attempts (default 1000 ms), doubled each time up to `maxDelayMs`. */
  delayMs?: number;
  /** Longest delay between attempts (default 5000 ms). */
  maxDelayMs?: number;
}

export interface FlowClientOptions {
  /**
   * The flow manager's token (its FLOW_MANAGER_TOKEN), sent in the Socket.IO handshake as
   * `auth.token`; a function is called on every (re)connection.
   */
  token?: string | (() => string | Promise<string>);
  /** Default per-call timeout in ms (default 30000). */
  timeoutMs?: number;
  /** `false` to never reconnect; settings to tune it (default: socket.io's reconnection). */
  reconnection?: boolean | FlowReconnectionOptions;
  /** Prefix of the generated `request_id`s (default `sdk-`). */
  requestIdPrefix?: string;
  /** Anything else for `io(url, ...)` (transports, path, extraHeaders, ...). */
  socket?: Partial<ManagerOptions & SocketOptions>;
}

export interface FlowCallOptions {
  /** This call's timeout in ms (default: the client's `timeoutMs`). */
  timeoutMs?: number;
  /** Cancels waiting for the answer (the request itself may already be on its way). */
  signal?: AbortSignal;
}

export interface FlowRequestOptions extends FlowCallOptions {
  /** How long the flow manager waits for the container's reply (send_message `timeout_ms`). */
  replyTimeoutMs?: number;
  /** Called with each progress reply (`command: "status"`) that comes before the final one. */
  onStatus?: (reply: MessageReceived) => void;
  /** The `request_id` of the send_message (default: a generated one). */
  requestId?: string;
}

/** `getLogs` options: what to read (see `get_container_logs`), and the call's own options. */
export type FlowGetLogsOptions = Omit<FlowRequests["get_container_logs"], "container_id"> &
  FlowCallOptions;

/** Connection events of the client itself (not sent by the server). */
export interface FlowConnectionEvents {
  /** Connected (again, after a reconnection). */
  connect: () => void;
  /** Connection lost or closed; socket.io reconnects unless `close()` was called. */
  disconnect: (reason: string) => void;
  /** A connection attempt failed (e.g. the token was refused). */
  connect_error: (error: Error) => void;
  /** Reconnected after `attempt` attempts. */
  reconnect: (attempt: number) => void;
}

/** Every event a flow client's `on/once/off` accept: the server's events and the connection's. */
export type FlowClientEvents = {
  [E in FlowServerEventName]: (payload: FlowServerEvents[E]) => void;
} & FlowConnectionEvents;
export type FlowClientEventName = keyof FlowClientEvents;

export interface FlowClient extends FlowRequestMethods<FlowCallOptions> {
  /** The underlying socket.io-client socket (untyped escape hatch). */
  readonly socket: Socket;
  /** Whether the socket is connected now. */
  readonly connected: boolean;
  /** Resolves once connected; rejects when the connection is refused or `timeoutMs` passes. */
  ready(options?: FlowCallOptions): Promise<void>;
  /** Any request by its event name: what each named method does. */
  call<E extends FlowRequestName>(
    event: E,
    payload: FlowRequests[E],
    options?: FlowCallOptions,
  ): Promise<FlowReplies[E]>;
  /**
   * Sends `message` to the code in a container and resolves with the container's final reply: the
   * `message_received` whose `message.reply_to` is the `message_sent`'s `message_id` (progress
   * replies with `command: "status"` go to `onStatus`). A final reply with `command: "error"` is
   * still a reply: it resolves. Rejects with a `FlowError` when sending fails or the container does
   * not answer in time (`socket_timeout_error`), and with `FlowTimeoutError` after `timeoutMs`.
   */
  request(
    containerId: string,
    message: FlowMessage,
    options?: FlowRequestOptions,
  ): Promise<MessageReceived>;
  /**
   * A container's recent output (`get_container_logs`): the last `tail` lines (default 1000),
   * optionally `since` a time (unix seconds or RFC 3339), with `time` when `timestamps` is true.
   */
  getLogs(containerId: string, options?: FlowGetLogsOptions): Promise<LogLine[]>;
  /**
   * Follows a container's output (`subscribe_logs`): an async iterator of `container_log`
   * batches that ends when the container is removed; `break` unsubscribes.
   */
  logs(containerId: string, options?: FlowLogsOptions): FlowLogStream;
  /**
   * Starts an exec session in a running container (the manager must run with
   * FLOW_EXEC_ENABLED=true): a shell by default, or `cmd`; with `tty`, a terminal to resize.
   * Resolves once `exec_started` arrived; rejects with a `FlowError` as `execStart` does.
   */
  exec(containerId: string, options?: FlowExecOptions): Promise<FlowExecSession>;
  /** Adds a listener; returns a function that removes it. */
  on<E extends FlowClientEventName>(event: E, listener: FlowClientEvents[E]): () => void;
  /** Adds a listener called at most once; returns a function that removes it. */
  once<E extends FlowClientEventName>(event: E, listener: FlowClientEvents[E]): () => void;
  off<E extends FlowClientEventName>(event: E, listener: FlowClientEvents[E]): void;
  /** Disconnects for good; pending calls reject with `FlowClosedError`. */
  close(): void;
}

interface Pending {
  operation: FlowRequestName;
  payload: object;
  settle: (outcome: { ok: true; data: unknown } | { ok: false; error: Error }) => void;
}

const MANAGER_EVENTS = new Set<string>(["reconnect"]);
const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * Connects to a flow manager (`http://host:8000`). Connection happens in the background; calls
 * made before it is up are buffered and sent once connected (within their timeout).
 */
export function createFlowClient(url: string, options: FlowClientOptions = {}): FlowClient {
  const defaultTimeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const prefix = options.requestIdPrefix ?? "sdk-";
  const reconnection = options.reconnection ?? true;
  const { token } = options;

  const socket: Socket = io(url, {
    ...options.socket,
    reconnection: reconnection !== false,
    ...(typeof reconnection === "object"
      ? {
          ...(reconnection.attempts !== undefined && {
            reconnectionAttempts: reconnection.attempts,
          }),
          ...(reconnection.delayMs !== undefined && { reconnectionDelay: reconnection.delayMs }),
          ...(reconnection.maxDelayMs !== undefined && {
            reconnectionDelayMax: reconnection.maxDelayMs,
          }),
        }
      : {}),
    ...(token !== undefined && {
      auth: (cb: (data: object) => void) => {
        Promise.resolve(typeof token === "function" ? token() : token).then(
          (value) => cb({ token: value }),
          () => cb({}),
        );
      },
    }),
  });

  /** Calls waiting for their answer, by request_id. */
  const pending = new Map<string, Pending>();
  let closed = false;
  let refused: Error | undefined;

  let counter = 0;
  const newRequestId = () =>
    // randomUUID exists in Node and in browsers' secure contexts (https, localhost).
    typeof globalThis.crypto?.randomUUID === "function"
      ? `${prefix}${globalThis.crypto.randomUUID()}`
      : `${prefix}${Date.now().toString(36)}-${(++counter).toString(36)}-${Math.random().toString(36).slice(2, 10)}`;

  const isBuffered = (payload: object) => socket.sendBuffer.some((p) => p.data?.[1] === payload);
  const unbuffer = (payload: object) => {
    socket.sendBuffer = socket.sendBuffer.filter((p) => p.data?.[1] !== payload);
  };
  const failAll = (error: (operation: FlowRequestName, id: string) => Error, sentOnly: boolean) => {
    for (const [id, call] of [...pending]) {
      if (sentOnly && isBuffered(call.payload)) continue;
      call.settle({ ok: false, error: error(call.operation, id) });
    }
  };

  // Replies also arrive as events carrying the request_id: whichever of them and the
  // acknowledgement comes first settles the call (servers without acks work too).
  for (const [operation, { reply }] of Object.entries(flowRequests)) {
    socket.on(reply, (payload: { request_id?: string }) => {
      const call = payload?.request_id ? pending.get(payload.request_id) : undefined;
      if (call?.operation === operation) call.settle({ ok: true, data: payload });
    });
  }
  socket.on("error", (body: ErrorBody) => {
    const id = body?.details?.request_id;
    const call = id ? pending.get(id) : undefined;
    if (call && (!body.details.operation || body.details.operation === call.operation)) {
      call.settle({ ok: false, error: new FlowError(body) });
    }
  });
  socket.on("disconnect", (reason: string) => {
    // What was sent will get no answer on a new connection; what is still buffered will be sent.
    if (closed) return;
    failAll(
      (op, id) =>
        new FlowConnectionError(
          `${op} (request_id ${id}): connection lost (${reason}) before the answer; it may have been carried out`,
        ),
      true,
    );
  });
  socket.on("connect", () => {
    refused = undefined;
  });
  /** The socket will not (re)connect by itself any more: fail what waits and what comes. */
  const giveUp = (error: Error) => {
    refused = error;
    failAll(
      (op, id) => new FlowConnectionError(`${op} (request_id ${id}): ${error.message}`, error),
      false,
    );
    for (const waiter of [...refusalWaiters]) waiter(error);
  };
  /** ready() calls waiting for the connection. */
  const refusalWaiters = new Set<(error: Error) => void>();
  socket.on("connect_error", (error: Error) => {
    // An inactive socket was refused by the server (e.g. a wrong token) and will not retry.
    if (!socket.active || !socket.io.reconnection()) giveUp(error);
  });
  socket.io.on("reconnect_failed", () => {
    giveUp(new Error(`could not reconnect to ${url}: no reconnection attempts left`));
  });

  function call<E extends FlowRequestName>(
    operation: E,
    payload: FlowRequests[E] | undefined,
    callOptions: FlowCallOptions = {},
  ): Promise<FlowReplies[E]> {
    const body = { ...payload } as FlowRequests[E] & { request_id?: string };
    body.request_id ??= newRequestId();
    const requestId = body.request_id;
    const timeoutMs = callOptions.timeoutMs ?? defaultTimeout;
    const { signal } = callOptions;

    return new Promise<FlowReplies[E]>((resolve, reject) => {
      if (closed) return reject(new FlowClosedError(operation, requestId, "closed"));
      if (refused) {
        return reject(new FlowConnectionError(`${operation}: ${refused.message}`, refused));
      }
      if (signal?.aborted) {
        return reject(new FlowClosedError(operation, requestId, "aborted", signal.reason));
      }
      if (pending.has(requestId)) {
        return reject(new Error(`request_id ${requestId} is already in use by a pending call`));
      }
      const onAbort = () => {
        unbuffer(body);
        settle({
          ok: false,
          error: new FlowClosedError(operation, requestId, "aborted", signal?.reason),
        });
      };
      const timer = setTimeout(() => {
        // A call that timed out before it could be sent is not sent later.
        unbuffer(body);
        settle({ ok: false, error: new FlowTimeoutError(operation, timeoutMs, requestId) });
      }, timeoutMs);
      function settle(outcome: { ok: true; data: unknown } | { ok: false; error: Error }) {
        if (pending.get(requestId)?.settle !== settle) return;
        pending.delete(requestId);
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        if (outcome.ok) resolve(outcome.data as FlowReplies[E]);
        else reject(outcome.error);
      }
      pending.set(requestId, { operation, payload: body, settle });
      signal?.addEventListener("abort", onAbort, { once: true });
      socket.emit(operation, body, (ack: FlowAcks[E]) => {
        if (ack?.ok === true) settle({ ok: true, data: ack.data });
        else if (ack?.ok === false) settle({ ok: false, error: new FlowError(ack.error) });
        else settle({ ok: false, error: new Error(`${operation}: malformed acknowledgement`) });
      });
    });
  }

  async function request(
    containerId: string,
    message: FlowMessage,
    requestOptions: FlowRequestOptions = {},
  ): Promise<MessageReceived> {
    const requestId = requestOptions.requestId ?? newRequestId();
    const timeoutMs = requestOptions.timeoutMs ?? defaultTimeout;
    const { signal } = requestOptions;
    let messageId: string | undefined;
    const early: MessageReceived[] = [];
    let onReply: (m: MessageReceived) => void = (m) => early.push(m);
    const earlyFailures: ErrorBody[] = [];
    let onFailure: (body: ErrorBody) => void = (body) => earlyFailures.push(body);

    const listenReply = (m: MessageReceived) => {
      if (m?.container_id !== undefined && m.message?.reply_to !== undefined) onReply(m);
    };
    const listenError = (body: ErrorBody) => {
      const d = body?.details;
      if (d?.operation === "send_message" && d.request_id === requestId) onFailure(body);
    };
    socket.on("message_received", listenReply);
    socket.on("error", listenError);
    const started = Date.now();
    try {
      const sent = await call(
        "send_message",
        {
          request_id: requestId,
          container_id: containerId,
          message,
          ...(requestOptions.replyTimeoutMs !== undefined && {
            timeout_ms: requestOptions.replyTimeoutMs,
          }),
        },
        { timeoutMs, ...(signal && { signal }) },
      );
      messageId = sent.message_id;
      const remaining = Math.max(0, timeoutMs - (Date.now() - started));
      return await new Promise<MessageReceived>((resolve, reject) => {
        const timer = setTimeout(
          () => finish(() => reject(new FlowTimeoutError("request", timeoutMs, requestId))),
          remaining,
        );
        const onAbort = () =>
          finish(() =>
            reject(new FlowClosedError("request", requestId, "aborted", signal?.reason)),
          );
        const onClose = () =>
          finish(() => reject(new FlowClosedError("request", requestId, "closed")));
        let done = false;
        function finish(fn: () => void) {
          if (done) return;
          done = true;
          clearTimeout(timer);
          signal?.removeEventListener("abort", onAbort);
          closeWaiters.delete(onClose);
          fn();
        }
        onReply = (m) => {
          if (m.message.reply_to !== messageId) return;
          if (m.message.command === "status") requestOptions.onStatus?.(m);
          else finish(() => resolve(m));
        };
        // A failure of the send itself rejected the sendMessage call above; what is left is
        // about the container's reply (e.g. socket_timeout_error), naming the message.
        onFailure = (body) => {
          const id = body.details.message_id;
          if (id === undefined || id === messageId) finish(() => reject(new FlowError(body)));
        };
        if (signal?.aborted) return onAbort();
        signal?.addEventListener("abort", onAbort, { once: true });
        closeWaiters.add(onClose);
        // Replies and failures that arrived with the acknowledgement, before messageId was known.
        for (const m of early.splice(0)) onReply(m);
        for (const body of earlyFailures.splice(0)) onFailure(body);
      });
    } finally {
      socket.off("message_received", listenReply);
      socket.off("error", listenError);
    }
  }
  /** request() waits outside `pending`; close() ends those waits through this. */
  const closeWaiters = new Set<() => void>();

  function ready(readyOptions: FlowCallOptions = {}): Promise<void> {
    if (socket.connected) return Promise.resolve();
    if (closed) return Promise.reject(new FlowConnectionError("the flow client is closed"));
    if (refused) return Promise.reject(new FlowConnectionError(refused.message, refused));
    const timeoutMs = readyOptions.timeoutMs ?? defaultTimeout;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => done(new FlowConnectionError(`not connected to ${url} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const onConnect = () => done();
      const onRefused = (error: Error) => done(new FlowConnectionError(error.message, error));
      const onAbort = () => done(new FlowConnectionError("aborted"));
      function done(error?: Error) {
        clearTimeout(timer);
        socket.off("connect", onConnect);
        refusalWaiters.delete(onRefused);
        readyOptions.signal?.removeEventListener("abort", onAbort);
        closeWaiters.delete(onClose);
        if (error) reject(error);
        else resolve();
      }
      const onClose = () => done(new FlowConnectionError("the flow client was closed"));
      socket.on("connect", onConnect);
      refusalWaiters.add(onRefused);
      readyOptions.signal?.addEventListener("abort", onAbort, { once: true });
      closeWaiters.add(onClose);
    });
  }

  const target = (event: string) => (MANAGER_EVENTS.has(event) ? socket.io : socket);

  const methods = Object.fromEntries(
    (Object.entries(flowRequests) as [FlowRequestName, { method: string }][]).map(
      ([operation, { method }]) => [
        method,
        (payload?: object, callOptions?: FlowCallOptions) =>
          call(operation, payload as FlowRequests[typeof operation], callOptions),
      ],
    ),
  ) as unknown as FlowRequestMethods<FlowCallOptions>;

  return {
    ...methods,
    socket,
    get connected() {
      return socket.connected;
    },
    ready,
    call,
    request,
    async getLogs(containerId, { timeoutMs, signal, ...query } = {}) {
      const reply = await call(
        "get_container_logs",
        { ...query, container_id: containerId },
        { ...(timeoutMs !== undefined && { timeoutMs }), ...(signal && { signal }) },
      );
      return reply.lines;
    },
    logs: (containerId, logsOptions) => followLogs(socket, call, containerId, logsOptions),
    exec: (containerId, execOptions) => startExec(socket, call, containerId, execOptions),
    on(event, listener) {
      // biome-ignore lint/suspicious/noExplicitAny: the emitter's own typing is per-socket
      (target(event) as any).on(event, listener);
      return () => this.off(event, listener);
    },
    once(event, listener) {
      // biome-ignore lint/suspicious/noExplicitAny: as above
      (target(event) as any).once(event, listener);
      return () => this.off(event, listener);
    },
    off(event, listener) {
      // biome-ignore lint/suspicious/noExplicitAny: as above
      (target(event) as any).off(event, listener);
    },
    close() {
      if (closed) return;
      closed = true;
      failAll((op, id) => new FlowClosedError(op, id, "closed"), false);
      for (const waiter of [...closeWaiters]) waiter();
      socket.disconnect();
    },
  };
}
