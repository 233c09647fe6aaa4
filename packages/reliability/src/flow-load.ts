import { performance } from "node:perf_hooks";
import { FlowClient, uniqueId } from "./flow-harness.ts";

export interface LoadOptions {
  url: string;
  token?: string;
  /** Concurrent Socket.IO clients. */
  clients: number;
  /** Running flow containers (ids) the clients message, round robin. */
  containers: string[];
  /** How long clients keep sending new messages. */
  durationMs: number;
  /** Stop a client after this many messages (whichever of count and duration comes first). */
  maxPerClient?: number;
  /** Messages each client keeps in flight. */
  window: number;
  /** How long to wait for the last replies after the sending stops. */
  drainMs?: number;
}

export interface LoadResult {
  clients: number;
  containers: number;
  durationMs: number;
  sent: number;
  replied: number;
  lost: number;
  duplicated: number;
  wrongData: number;
  errors: Record<string, number>;
  throughputPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)]!;
}

const round = (n: number) => Math.round(n * 100) / 100;

/**
 * Every client sends `echo` messages (each with a unique request_id and payload) to the containers
 * round robin, keeping `window` in flight, until the duration ends; then waits for the rest. Each
 * final reply is matched to its request by request_id: a request with no final reply is lost, one
 * with two is duplicated, one whose echo differs from what was sent has wrong data.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { clients: n, containers, durationMs, window } = options;
  const sentAt = new Map<string, number>();
  const payloads = new Map<string, string>();
  const finals = new Map<string, number>();
  const latencies: number[] = [];
  const errors: Record<string, number> = {};
  let wrongData = 0;
  const maxPerClient = options.maxPerClient ?? Number.POSITIVE_INFINITY;
  let deadline = Number.POSITIVE_INFINITY;

  const clients = await Promise.all(
    Array.from({ length: n }, () =>
      FlowClient.connect(options.url, options.token ? { token: options.token } : undefined, {
        keep: false,
      }),
    ),
  );

  const workers = clients.map((client, ci) => {
    let seq = 0;
    let resolveIdle: () => void = () => {};
    const idle = new Promise<void>((done) => {
      resolveIdle = done;
    });
    let inFlight = 0;
    const sendNext = () => {
      if (seq >= maxPerClient || performance.now() >= deadline) {
        if (inFlight === 0) resolveIdle();
        return;
      }
      const k = seq++;
      const id = `l${ci}-${k}`;
      const container = containers[(ci + k) % containers.length]!;
      const data = `${id}:${container.slice(0, 8)}`;
      sentAt.set(id, performance.now());
      payloads.set(id, data);
      inFlight++;
      client.socket.emit(
        "send_message",
        { request_id: id, container_id: container, message: { command: "echo", data } },
        (ack: { ok: boolean; error?: { error_type: string } }) => {
          if (!ack.ok) done(id, `send:${ack.error?.error_type ?? "unknown"}`);
        },
      );
    };
    const done = (id: string, error?: string) => {
      const count = (finals.get(id) ?? 0) + 1;
      finals.set(id, count);
      if (count > 1) return; // a duplicate: counted, never resent
      if (error) errors[error] = (errors[error] ?? 0) + 1;
      else latencies.push(performance.now() - (sentAt.get(id) ?? 0));
      inFlight--;
      sendNext();
    };
    client.on(({ event, payload }) => {
      if (event === "message_received") {
        const m = payload as {
          request_id?: string;
          message: { command: string; data?: unknown; reply_to?: string };
        };
        if (!m.request_id || m.message.command === "status") return;
        if (m.message.command !== "result") return done(m.request_id, `reply:${m.message.command}`);
        if (m.message.data !== payloads.get(m.request_id)) wrongData++;
        done(m.request_id);
      } else if (event === "error") {
        const e = payload as {
          error_type: string;
          details: { request_id?: string; operation?: string };
        };
        // send_message failures after the ack (timeouts, socket errors) carry the request id.
        if (
          e.details.request_id &&
          e.details.operation === "send_message" &&
          sentAt.has(e.details.request_id)
        ) {
          const already = finals.get(e.details.request_id) ?? 0;
          if (already === 0) done(e.details.request_id, e.error_type);
        }
      }
    });
    return { start: () => Array.from({ length: window }, sendNext), idle };
  });

  const started = performance.now();
  deadline = started + durationMs;
  for (const w of workers) w.start();
  // Sending stops at the deadline; the last replies get drainMs to arrive, then count as lost.
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(workers.map((w) => w.idle)),
    new Promise((done) => {
      timer = setTimeout(done, durationMs + (options.drainMs ?? 60_000));
    }),
  ]);
  clearTimeout(timer);
  const elapsed = Math.min(performance.now(), deadline) - started;
  for (const c of clients) c.close();

  const sorted = [...latencies].sort((a, b) => a - b);
  const replied = [...finals.values()].filter((c) => c >= 1).length;
  return {
    clients: n,
    containers: containers.length,
    durationMs: Math.round(elapsed),
    sent: sentAt.size,
    replied,
    lost: sentAt.size - replied,
    duplicated: [...finals.values()].filter((c) => c > 1).length,
    wrongData,
    errors,
    throughputPerSecond: round(latencies.length / (elapsed / 1000)),
    latencyMs: {
      p50: round(percentile(sorted, 50)),
      p90: round(percentile(sorted, 90)),
      p99: round(percentile(sorted, 99)),
      max: round(sorted.at(-1) ?? 0),
      mean: round(sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length)),
    },
  };
}

/** Creates and starts `count` flow containers through `client`, and waits until each answers. */
export async function startFlows(
  client: FlowClient,
  count: number,
  image: string,
): Promise<string[]> {
  const ids = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const created = await client.ok("create_container", {
        image,
        name: uniqueId(`load${i}`),
      });
      await client.ok("start_container", { container_id: created.container_id });
      return created.container_id;
    }),
  );
  for (const id of ids) {
    const pong = await client.ask(id, "flow.ping");
    if (!("command" in pong) || pong.command !== "result") {
      throw new Error(`container ${id} does not answer: ${JSON.stringify(pong)}`);
    }
  }
  return ids;
}
