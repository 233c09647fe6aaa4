// Master benchmark, against real PostgreSQL, run by hand (not part of the tests):
//
//   source /tmp/devenv.exports   # TEST_DATABASE_URL (a superuser URL: a fresh database is made)
//   cd bench && pnpm exec tsx master-load.ts
//
// The master runs as its own process (`tsx apps/master/src/main.ts`, Cloudflare stand-in in
// process); this process is the load generator. Three measurements:
//  1. events ingested per second (tunnel_status events with unique event_ids: each one is an
//     event-log insert + a tunnel update, group-committed), closed loop, CONCURRENCY in flight;
//  2. 10,000 agents heartbeating every 30 s: open loop, heartbeats evenly spaced at the real
//     aggregate rate (10,000 / 30 s = 333/s) for 30 s, then at a third of it; with BENCH_AGENTS below
//     10,000 the schedule is compressed (each agent heartbeats more often, same aggregate rate);
//     then the same for status reports (empty: a node without labelled containers);
//  3. command enqueue-to-delivery latency through the long poll (`?wait=30`), against the expected
//     latency of a 30 s poll interval (the baseline: uniform phase, plus a measured poll round trip).
import { spawn } from "node:child_process";
import http from "node:http";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createTestDatabase } from "@dockflow/testkit";

const here = dirname(fileURLToPath(import.meta.url));
const masterDir = resolve(here, "../apps/master");
const AGENTS = Number(process.env.BENCH_AGENTS ?? 10_000);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const DELIVERIES = Number(process.env.BENCH_DELIVERIES ?? 200);
const PORT = Number(process.env.BENCH_PORT ?? 18_080);
const ADMIN = "bench-admin-token-0123456789abcdef";
const base = `http://127.0.0.1:${PORT}/api/v2`;

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0
    ? Number.NaN
    : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
const now = () => performance.now();

// The load generator shares the 2 cores with the master and PostgreSQL, so it uses node:http with
// keep-alive rather than fetch (which costs several times more CPU per request).
const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 256 });

interface Reply {
  status: number;
  json<T>(): T;
}

function call(path: string, token: string, body?: unknown): Promise<Reply> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = http.request(
      `${base}${path}`,
      {
        agent: keepAlive,
        method: payload === undefined ? "GET" : "POST",
        headers: {
          authorization: `Bearer ${token}`,
          ...(payload === undefined
            ? {}
            : { "content-type": "application/json", "content-length": Buffer.byteLength(payload) }),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({ status: response.statusCode ?? 0, json: <T>() => JSON.parse(text) as T });
        });
        response.on("error", reject);
      },
    );
    request.on("error", reject);
    request.end(payload);
  });
}

async function pool<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

async function main() {
  const database = await createTestDatabase("dockflow_bench_master");
  // BENCH_MASTER_NODE_ARGS: extra node flags for the master, e.g. "--cpu-prof --cpu-prof-dir=/tmp/p".
  const nodeArgs = (process.env.BENCH_MASTER_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const master = spawn(process.execPath, [...nodeArgs, "--import", "tsx", "src/main.ts"], {
    cwd: masterDir,
    env: {
      ...process.env,
      PORT: String(PORT),
      DATABASE_URL: database.url,
      DATABASE_POOL_SIZE: "20",
      MASTER_ADMIN_TOKEN: ADMIN,
      LOG_LEVEL: "warn",
      REGISTER_RATE_LIMIT_PER_MINUTE: "1000000",
      AUTH_FAILURE_LIMIT_PER_MINUTE: "1000000",
      COMMAND_VISIBILITY_TIMEOUT_SECONDS: "600",
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  try {
    for (let i = 0; ; i++) {
      const ok = await fetch(`http://127.0.0.1:${PORT}/health`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (i > 600) throw new Error("master did not start");
      await new Promise((r) => setTimeout(r, 100));
    }

    // Setup: AGENTS keys and registrations (through the API, as operators and agents would).
    const setupStart = now();
    const agents: { id: string; key: string }[] = [];
    await pool(
      Array.from({ length: AGENTS }, (_, i) => i),
      CONCURRENCY,
      async (i) => {
        const issued = (await call("/keys", ADMIN, { name: `bench-${i}` })).json<{ key: string }>();
        const registered = await call("/agents/register", issued.key, {
          display_name: `bench ${i}`,
          version: "2.0.0",
          mode: "standalone",
          node_info: { node_id: `bench-${i}` },
        });
        const { agent_id } = registered.json<{ agent_id: string }>();
        agents.push({ id: agent_id, key: issued.key });
      },
    );
    console.log(
      `setup: ${AGENTS} keys issued and agents registered in ${((now() - setupStart) / 1000).toFixed(1)} s`,
    );

    // 1. Events per second.
    let errors = 0;
    const eventsStart = now();
    await pool(
      Array.from({ length: EVENTS }, (_, i) => i),
      CONCURRENCY,
      async (i) => {
        const agent = agents[i % 100]!;
        const response = await call(`/agents/${agent.id}/events`, agent.key, {
          type: "tunnel_status",
          event_id: `bench-${i}`,
          container: { name: "dockflare-agent-tunnel", status: "running" },
        });
        if (response.status !== 200) errors++;
      },
    );
    const eventsSeconds = (now() - eventsStart) / 1000;
    const eventsPerSecond = EVENTS / eventsSeconds;
    console.log(
      `events: ${EVENTS} in ${eventsSeconds.toFixed(1)} s = ${eventsPerSecond.toFixed(0)} events/s (${CONCURRENCY} in flight, ${errors} errors; aim >= 2000: ${(eventsPerSecond / 2000).toFixed(2)}x)`,
    );

    // 2. Heartbeats (and status reports), open loop.
    const heartbeats = async (
      label: string,
      spreadMs: number,
      rounds: number,
      event: unknown = { type: "heartbeat" },
    ) => {
      const latencies: number[] = [];
      let failed = 0;
      const start = now();
      const pending: Promise<void>[] = [];
      const total = agents.length * rounds;
      for (let n = 0; n < total; n++) {
        const due = start + (n * spreadMs) / agents.length;
        const wait = due - now();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
        const agent = agents[n % agents.length]!;
        const sent = now();
        pending.push(
          call(`/agents/${agent.id}/events`, agent.key, event).then(
            (r) => {
              latencies.push(now() - sent);
              if (r.status !== 200) failed++;
            },
            () => {
              failed++;
            },
          ),
        );
      }
      await Promise.all(pending);
      latencies.sort((a, b) => a - b);
      const rate = (agents.length / spreadMs) * 1000;
      console.log(
        `${label}: ${total} at ${rate.toFixed(0)}/s, p50 ${fmt(percentile(latencies, 50))}, p99 ${fmt(percentile(latencies, 99))}, max ${fmt(latencies.at(-1) ?? 0)}, errors ${failed}`,
      );
      return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), failed };
    };
    // The real schedule is 10,000 agents every 30 s = 333 heartbeats/s. With fewer simulated agents
    // (BENCH_AGENTS) the same aggregate rate is kept by shortening the period: each agent then
    // heartbeats every AGENTS / 333 s. One phase lasts 30 s.
    const realRate = 10_000 / 30;
    const real = await heartbeats(
      `heartbeats at the rate of 10,000 agents every 30 s (${agents.length} agents, period ${((agents.length / realRate) * 1000).toFixed(0)} ms, 30 s)`,
      (agents.length / realRate) * 1000,
      Math.max(1, Math.round(30 / (agents.length / realRate))),
    );
    const third = await heartbeats(
      `heartbeats at a third of that rate (30 s)`,
      ((3 * agents.length) / realRate) * 1000,
      Math.max(1, Math.round(30 / ((3 * agents.length) / realRate))),
    );
    // Every agent also sends a status report every 30 s (REPORT_INTERVAL_SECONDS); here with no
    // labelled containers (the common case for most nodes), at the same aggregate rate.
    const reports = await heartbeats(
      `status reports at the heartbeat rate (empty, 30 s)`,
      (agents.length / realRate) * 1000,
      Math.max(1, Math.round(30 / (agents.length / realRate))),
      { type: "status_report", container: { containers: [] } },
    );
    // 3. Enqueue-to-delivery latency through the long poll.
    const pollers = agents.slice(0, 50);
    const delivery: number[] = [];
    const roundTrips: number[] = [];
    for (const agent of pollers.slice(0, 20)) {
      const t0 = now();
      await call(`/agents/${agent.id}/commands`, agent.key);
      roundTrips.push(now() - t0);
    }
    roundTrips.sort((a, b) => a - b);
    for (let i = 0; i < DELIVERIES; i++) {
      const agent = pollers[i % pollers.length]!;
      const poll = call(`/agents/${agent.id}/commands?wait=30`, agent.key).then((r) =>
        r.json<{ commands: { id: string }[] }>(),
      );
      // Let the poll reach the master and wait there (it answers at once if anything is pending).
      await new Promise((r) => setTimeout(r, 20));
      const sent = now();
      const enqueued = await call(`/agents/${agent.id}/commands`, ADMIN, {
        commands: [{ action: "restart_tunnel", tunnel_id: "bench" }],
      });
      const { commands } = enqueued.json<{ commands: { id: string }[] }>();
      const got = await poll;
      delivery.push(now() - sent);
      for (const command of got.commands) {
        await call(`/agents/${agent.id}/events`, agent.key, {
          type: "command_result",
          command_id: command.id,
          success: true,
        });
      }
      if (!got.commands.some((c) => c.id === commands[0]!.id))
        throw new Error("delivered the wrong command");
    }
    delivery.sort((a, b) => a - b);
    // Baseline: a poll every 30 s sees a command after a uniformly distributed wait in [0, 30 s),
    // plus one poll round trip.
    const rt50 = percentile(roundTrips, 50);
    const baseline50 = 15_000 + rt50;
    const baseline99 = 29_700 + rt50;
    const p50 = percentile(delivery, 50);
    const p99 = percentile(delivery, 99);
    console.log(
      `delivery (long poll, ${DELIVERIES} commands): p50 ${fmt(p50)}, p99 ${fmt(p99)}; 30 s poll baseline p50 ${fmt(baseline50)}, p99 ${fmt(baseline99)}; ${(baseline50 / p50).toFixed(0)}x faster at p50 (aim p50 < 100 ms)`,
    );
    console.log(
      JSON.stringify({
        events_per_second: Math.round(eventsPerSecond),
        heartbeat_p50_ms: Number(real.p50.toFixed(1)),
        heartbeat_p99_ms: Number(real.p99.toFixed(1)),
        heartbeat_errors: real.failed,
        heartbeat_third_rate_p50_ms: Number(third.p50.toFixed(1)),
        heartbeat_third_rate_p99_ms: Number(third.p99.toFixed(1)),
        status_report_p50_ms: Number(reports.p50.toFixed(1)),
        status_report_p99_ms: Number(reports.p99.toFixed(1)),
        status_report_errors: reports.failed,
        delivery_p50_ms: Number(p50.toFixed(1)),
        delivery_p99_ms: Number(p99.toFixed(1)),
        baseline_p50_ms: Math.round(baseline50),
      }),
    );
  } finally {
    if (master.exitCode === null) {
      const exited = new Promise((r) => master.once("exit", r));
      master.kill("SIGTERM");
      await exited;
    }
    await database.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
