import type { Socket } from "socket.io-client";
import type {
  ContainerLog,
  FlowReplies,
  FlowRequestName,
  FlowRequests,
} from "../generated/flow-events.ts";
import { FlowConnectionError } from "./errors.ts";

/** The per-call options of the client (timeout, abort signal). */
interface CallOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** `timeoutMs` and `signal` apply to the `subscribe_logs` request. */
export interface FlowLogsOptions extends CallOptions {
  /** Lines printed before the subscription to start with (default 0, at most 5000). */
  tail?: number;
  /**
   * Lines kept while the loop body is busy (default 10000). Past this the oldest batches are
   * dropped, and the next batch's `dropped` counts their lines too.
   */
  bufferLines?: number;
}

/**
 * A container's live output, batch by batch (`for await (const batch of flow.logs(id))`): each
 * `ContainerLog` has `lines`, and `dropped` when lines were lost before it. The iteration ends
 * after the batch with `ended: true` (the container was removed); leaving the loop early
 * (`break`, `return()`) unsubscribes. It fails with the subscription's `FlowError`
 * (`container_not_found`, ...) or with `FlowConnectionError` when the connection drops (the
 * server forgets subscriptions with the connection: follow again, with a `tail`, to resume).
 */
export interface FlowLogStream extends AsyncIterableIterator<ContainerLog> {
  /** Stops following: unsubscribes, and the iteration ends. */
  close(): Promise<void>;
}

type Call = <E extends FlowRequestName>(
  event: E,
  payload: FlowRequests[E],
  options?: CallOptions,
) => Promise<FlowReplies[E]>;

const DEFAULT_BUFFER_LINES = 10_000;

/** Batches waiting for the consumer, bounded by their lines; drops are carried forward. */
export class LogBatchBuffer {
  private readonly batches: ContainerLog[] = [];
  private lines = 0;

  constructor(private readonly maxLines: number) {}

  get length(): number {
    return this.batches.length;
  }

  push(batch: ContainerLog): void {
    this.batches.push(batch);
    this.lines += batch.lines.length;
    // Never drop the newest batch: it carries the count, and `ended`.
    while (this.lines > this.maxLines && this.batches.length > 1) {
      const oldest = this.batches.shift()!;
      this.lines -= oldest.lines.length;
      const next = this.batches[0]!;
      const dropped = (next.dropped ?? 0) + (oldest.dropped ?? 0) + oldest.lines.length;
      this.batches[0] = { ...next, ...(dropped > 0 && { dropped }) };
    }
  }

  shift(): ContainerLog | undefined {
    const batch = this.batches.shift();
    if (batch) this.lines -= batch.lines.length;
    return batch;
  }
}

/** Subscribes to a container's logs over `socket`; see `FlowLogStream`. */
export function followLogs(
  socket: Socket,
  call: Call,
  containerId: string,
  options: FlowLogsOptions = {},
): FlowLogStream {
  const buffer = new LogBatchBuffer(options.bufferLines ?? DEFAULT_BUFFER_LINES);
  /** The container's full id, from the reply (pushes name it so; the caller may use a name). */
  let id: string | undefined;
  const early: ContainerLog[] = [];
  let ended = false;
  let closed = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;

  const onLog = (batch: ContainerLog) => {
    if (closed) return;
    if (id === undefined) early.push(batch);
    else if (batch.container_id === id) accept(batch);
  };
  const onDisconnect = (reason: string) =>
    fail(new FlowConnectionError(`logs of ${containerId}: connection lost (${reason})`));
  socket.on("container_log", onLog);
  socket.on("disconnect", onDisconnect);

  function accept(batch: ContainerLog): void {
    buffer.push(batch);
    if (batch.ended) {
      ended = true;
      stopListening();
    }
    notify();
  }
  function fail(error: Error): void {
    if (closed || ended) return;
    failure = error;
    stopListening();
    notify();
  }
  function notify(): void {
    const fn = wake;
    wake = undefined;
    fn?.();
  }
  function stopListening(): void {
    socket.off("container_log", onLog);
    socket.off("disconnect", onDisconnect);
  }

  const subscribed = call(
    "subscribe_logs",
    { container_id: containerId, ...(options.tail !== undefined && { tail: options.tail }) },
    {
      ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
      ...(options.signal && { signal: options.signal }),
    },
  ).then(
    (reply) => {
      id = reply.container_id;
      for (const batch of early.splice(0)) onLog(batch);
    },
    (error: Error) => fail(error),
  );

  async function close(): Promise<IteratorResult<ContainerLog>> {
    if (!closed) {
      closed = true;
      stopListening();
      notify();
      await subscribed;
      if (id !== undefined && !ended && failure === undefined) {
        // Best effort: the container may be gone, or the connection too.
        await call("unsubscribe_logs", { container_id: id }).catch(() => undefined);
      }
    }
    return { value: undefined, done: true };
  }

  const stream: FlowLogStream = {
    async next(): Promise<IteratorResult<ContainerLog>> {
      for (;;) {
        if (closed) return { value: undefined, done: true };
        const batch = buffer.shift();
        if (batch) return { value: batch, done: false };
        if (failure) {
          closed = true;
          throw failure;
        }
        if (ended) {
          closed = true;
          return { value: undefined, done: true };
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    },
    return: close,
    async throw(error?: unknown): Promise<IteratorResult<ContainerLog>> {
      await close();
      throw error;
    },
    async close() {
      await close();
    },
    [Symbol.asyncIterator]() {
      return stream;
    },
  };
  return stream;
}
