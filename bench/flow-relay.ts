/**
 * Flow manager benchmark (run by hand, not part of the tests):
 *   pnpm --filter @dockflow/bench flow-relay        (or: cd bench && pnpm exec tsx flow-relay.ts)
 *
 * In one run, on this machine's Docker engine with the flow:latest image:
 * 1. Round trip client -> relay -> flow container -> relay -> client (`send_message` with the
 *    runtime's `echo`, answered as `message_received`) through the flow manager and through an
 *    ideal relay (bench/flow-ideal-relay.ts: Socket.IO in, one NDJSON connection to the same
 *    container's runtime socket, no validation, no logging), driven by the same clients, in
 *    alternating rounds; p50/p99 latency and messages per second at 1 and 50 clients, and the
 *    ratios manager/ideal. For scale, a bare Socket.IO echo and a bare Unix-socket echo (a Node
 *    echo server in a container, through a bind-mounted folder, as the manager talks to flows).
 * 2. `get_container_status` latency with 50 running managed containers.
 * 3. create+start through the manager against `docker run -d`.
 * FLOW_BENCH_RELAY_ONLY=1 runs part 1 only. The manager, the ideal relay and the Socket.IO echo
 * run in their own processes (the clients share this one).
 * Every container carries the label dockflow.bench=<run id> and is removed at the end.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { openSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { connect, type Socket as NetSocket } from "node:net";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { dockerFor } from "@dockflow/testkit";
import { io, type Socket } from "socket.io-client";
import { LABEL_SOCKET_DIR } from "../apps/flow-manager/src/labels.ts";
import { FLOW_SOCKET_NAME } from "../packages/protocol/src/index.ts";

const run = promisify(execFile);
const docker = dockerFor();
const RUN_ID = randomBytes(4).toString("hex");
const LABEL = `dockflow.bench=${RUN_ID}`;
const IMAGE = process.env.FLOW_BENCH_IMAGE ?? "flow:latest";
const here = import.meta.dirname;
const root = join(here, "..");
const N_SINGLE = Number(process.env.FLOW_BENCH_MESSAGES ?? 3000);
const N_PER_CLIENT = Number(process.env.FLOW_BENCH_MESSAGES_PER_CLIENT ?? 200);
const CLIENTS = 50;
const STATUS_CONTAINERS = 50;
const STATUS_QUERIES = 2000;
const CREATE_RUNS = 10;
const WARMUP = 200;
/** Part 1 alternates manager and ideal relay in this many rounds (each a share of the messages). */
const ROUNDS = Number(process.env.FLOW_BENCH_ROUNDS ?? 3);
const RELAY_ONLY = process.env.FLOW_BENCH_RELAY_ONLY === "1";

interface Series {
  latenciesMs: number[];
  seconds: number;
  /** CPU time the serving process used meanwhile (when it runs on this host), in ms. */
  cpuMs?: number;
}

function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}
const ms = (n: number) => `${n.toFixed(3)} ms`;
function summary(name: string, s: Series) {
  const rate = s.latenciesMs.length / s.seconds;
  const cpuUs = s.cpuMs === undefined ? undefined : (s.cpuMs * 1000) / s.latenciesMs.length;
  return { name, p50: pct(s.latenciesMs, 50), p99: pct(s.latenciesMs, 99), rate, cpuUs };
}
function merge(parts: Series[]): Series {
  return {
    latenciesMs: parts.flatMap((p) => p.latenciesMs),
    seconds: parts.reduce((sum, p) => sum + p.seconds, 0),
    cpuMs: parts.reduce((sum, p) => sum + (p.cpuMs ?? 0), 0),
  };
}
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
function print(rows: ReturnType<typeof summary>[]) {
  for (const r of rows) {
    console.log(
      `  ${r.name.padEnd(44)} p50 ${ms(r.p50).padStart(10)}  p99 ${ms(r.p99).padStart(10)}  ${r.rate.toFixed(0).padStart(7)} msg/s${r.cpuUs === undefined ? "" : `  ${r.cpuUs.toFixed(0).padStart(4)} us CPU/msg`}`,
    );
  }
}

const CLOCK_TICKS_PER_SECOND = Number((await run("getconf", ["CLK_TCK"])).stdout);

/** CPU time (user + system) process `pid` has used so far, in ms (Linux /proc). */
async function cpuMsOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name in parentheses: state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/**
 * Runs `clients` loops of `perClient` sequential round trips each, all at once; with `pid`, also
 * how much CPU that (serving) process used meanwhile.
 */
async function measure(
  clients: number,
  perClient: number,
  roundTrip: (client: number, i: number) => Promise<void>,
  pid?: number,
): Promise<Series> {
  const latenciesMs: number[] = [];
  const cpuBefore = pid === undefined ? 0 : await cpuMsOf(pid);
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; i < perClient; i++) {
        const t0 = process.hrtime.bigint();
        await roundTrip(c, i);
        latenciesMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (pid === undefined) return { latenciesMs, seconds };
  return { latenciesMs, seconds, cpuMs: (await cpuMsOf(pid)) - cpuBefore };
}

/** The first JSON line on the child's stdout that has `key` (the listening address). */
function waitJson(child: ChildProcess, key: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let buf = "";
    const onData = (d: Buffer) => {
      buf += d.toString();
      for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const value = JSON.parse(line) as Record<string, unknown>;
          if (key in value) {
            child.stdout?.off("data", onData);
            child.stdout?.resume();
            resolve(value);
            return;
          }
        } catch {
          // not JSON: skip
        }
      }
    };
    child.stdout?.on("data", onData);
    child.once("exit", (code) => reject(new Error(`child exited (${code})`)));
  });
}

function node(
  args: string[],
  env: Record<string, string> = {},
  stdout: "pipe" | number = "pipe",
): ChildProcess {
  return spawn(process.execPath, args, {
    cwd: here,
    env: { ...process.env, ...env },
    stdio: ["ignore", stdout, "inherit"],
  });
}
const tsx = (args: string[]) => node(["--import", "tsx", ...args]);

/** The url of the manager's "flow manager listening" line in its log file, once it is there. */
async function listeningUrl(logFile: string): Promise<string | undefined> {
  for (const line of (await readFile(logFile, "utf8")).split("\n")) {
    if (!line.includes('"flow manager listening"')) continue;
    const { url } = JSON.parse(line) as { url?: string };
    if (url) return url;
  }
  return undefined;
}

async function connectClient(url: string): Promise<Socket> {
  const socket = io(url, { transports: ["websocket"], forceNew: true, reconnection: false });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("connect_error", reject);
  });
  return socket;
}

/** Request/reply over Socket.IO events, matched by an id in the payload. */
function eventRoundTrip(
  socket: Socket,
  send: (id: string) => void,
  replyEvent: string,
  idOf: (payload: { request_id?: string; id?: string }) => string | undefined,
) {
  const waiting = new Map<string, () => void>();
  socket.on(replyEvent, (payload: { request_id?: string; id?: string }) => {
    const id = idOf(payload);
    if (id) waiting.get(id)?.();
  });
  let n = 0;
  return () =>
    new Promise<void>((resolve) => {
      const id = `r${++n}`;
      waiting.set(id, () => {
        waiting.delete(id);
        resolve();
      });
      send(id);
    });
}

/** A line-echo client over a Unix socket. */
async function unixClient(path: string): Promise<() => Promise<void>> {
  const sock: NetSocket = await new Promise((resolve, reject) => {
    const s = connect(path, () => resolve(s));
    s.once("error", reject);
  });
  sock.setNoDelay(true);
  let pending: (() => void) | null = null;
  let buf = "";
  sock.on("data", (d: Buffer) => {
    buf += d.toString();
    let nl = buf.indexOf("\n");
    while (nl >= 0) {
      buf = buf.slice(nl + 1);
      const p = pending;
      pending = null;
      p?.();
      nl = buf.indexOf("\n");
    }
  });
  let n = 0;
  return () =>
    new Promise<void>((resolve) => {
      pending = resolve;
      sock.write(`${JSON.stringify({ id: `u${++n}`, command: "echo", data: { n } })}\n`);
    });
}

async function waitFor<T>(
  fn: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

type Ack = { ok: boolean; data?: Record<string, unknown>; error?: { message: string } };
async function call(
  socket: Socket,
  event: string,
  payload: unknown,
): Promise<Record<string, unknown>> {
  const ack = (await socket.emitWithAck(event, payload)) as Ack;
  if (!ack.ok) throw new Error(`${event}: ${ack.error?.message}`);
  return ack.data ?? {};
}

async function cleanup(): Promise<void> {
  const list = await docker.listContainers({ all: true, filters: { label: [LABEL] } });
  await Promise.all(
    list.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => {}),
    ),
  );
}

async function main() {
  console.log(
    `flow manager benchmark (run ${RUN_ID}): node ${process.version}, ${cpus().length} CPUs, image ${IMAGE}, load average ${load()}`,
  );
  const socketRoot = await mkdtemp("/tmp/dfb-");
  const children: ChildProcess[] = [];
  try {
    // --- processes: the manager (as in production: the esbuild bundle in its own process,
    // info-level audit log to a file, not through this process) and the bare echo.
    await run("pnpm", ["--filter", "@dockflow/flow-manager", "build"], { cwd: root });
    const logFile = join(socketRoot, "manager.log");
    // FLOW_BENCH_MANAGER_NODE_ARGS: extra node flags for the manager, e.g. "--cpu-prof".
    const managerNodeArgs = (process.env.FLOW_BENCH_MANAGER_NODE_ARGS ?? "")
      .split(" ")
      .filter(Boolean);
    const manager = node(
      [...managerNodeArgs, join(root, "apps/flow-manager/dist/main.mjs")],
      {
        // A port of its own choosing: one picked here could be taken by then on a shared machine.
        PORT: "0",
        FLOW_MANAGER_ID: `bench-${RUN_ID}`,
        FLOW_SOCKET_ROOT: socketRoot,
        FLOW_ALLOWED_ROOTS: socketRoot,
        FLOW_DEFAULT_LABELS: LABEL,
        LOG_LEVEL: "info",
      },
      openSync(logFile, "a"),
    );
    children.push(manager);
    const managerUrl = await waitFor(() => listeningUrl(logFile), "manager");
    const echo = tsx([join(here, "flow-echo-server.ts"), "0"]);
    children.push(echo);
    const echoUrl = `http://127.0.0.1:${(await waitJson(echo, "port")).port}`;

    // --- a flow for the relay, and a bare Unix-socket echo in a container (same bind-mount path)
    const admin = await connectClient(managerUrl);
    const flow = await call(admin, "create_container", {
      image: IMAGE,
      name: `bench-${RUN_ID}-relay`,
    });
    const flowId = flow.container_id as string;
    await call(admin, "start_container", { container_id: flowId });
    // The manager connects to the runtime's socket for this first message: it exists from then on.
    await call(admin, "send_message", { container_id: flowId, message: { command: "echo" } });
    const inspected = await docker.getContainer(flowId).inspect();
    const flowSocket = join(inspected.Config.Labels[LABEL_SOCKET_DIR] ?? "", FLOW_SOCKET_NAME);
    // FLOW_BENCH_IDEAL_NODE_ARGS: the same for the ideal relay.
    const idealNodeArgs = (process.env.FLOW_BENCH_IDEAL_NODE_ARGS ?? "").split(" ").filter(Boolean);
    const ideal = tsx([
      ...idealNodeArgs,
      join(here, "flow-ideal-relay.ts"),
      "0",
      flowSocket,
      flowId,
    ]);
    children.push(ideal);
    const idealUrl = `http://127.0.0.1:${(await waitJson(ideal, "port")).port}`;
    const unixDir = await mkdtemp("/tmp/dfb-unix-");
    const unixEcho = await docker.createContainer({
      Image: "dockflow-base/node:local",
      name: `bench-${RUN_ID}-unix-echo`,
      Labels: { "dockflow.bench": RUN_ID },
      Cmd: [
        "node",
        "-e",
        "require('net').createServer((s)=>{s.setNoDelay(true);s.pipe(s)}).listen('/s/echo.sock')",
      ],
      HostConfig: { Binds: [`${unixDir}:/s`] },
    });
    await unixEcho.start();
    const unixPath = join(unixDir, "echo.sock");
    await waitFor(async () => (await unixClient(unixPath)) && true, "unix echo");

    // --- 1. round trips
    const relayTrip = (socket: Socket) =>
      eventRoundTrip(
        socket,
        (id) =>
          socket.emit("send_message", {
            container_id: flowId,
            request_id: id,
            message: { command: "echo", data: { id } },
          }),
        "message_received",
        (p) => p.request_id,
      );
    const echoTrip = (socket: Socket) =>
      eventRoundTrip(
        socket,
        (id) => socket.emit("echo", { id, data: { id } }),
        "echo_reply",
        (p) => p.id,
      );

    const ratios: string[] = [];
    for (const clients of [1, CLIENTS]) {
      const per = clients === 1 ? N_SINGLE : N_PER_CLIENT;
      const sockets = async (url: string) =>
        Promise.all(Array.from({ length: clients }, () => connectClient(url)));
      const managerSockets = await sockets(managerUrl);
      const idealSockets = await sockets(idealUrl);
      const echoSockets = await sockets(echoUrl);
      const viaManager = managerSockets.map(relayTrip);
      const viaIdeal = idealSockets.map(relayTrip);
      const echoes = echoSockets.map(echoTrip);
      const unixes = await Promise.all(Array.from({ length: clients }, () => unixClient(unixPath)));
      // Warm up every path (JIT, connections), then measure.
      for (const trips of [viaManager, viaIdeal, echoes, unixes]) {
        await measure(clients, Math.ceil(WARMUP / clients), (c) => trips[c]!());
      }
      // Manager and ideal relay alternate (each round a share of the messages, the order
      // swapped every round), so a burst of load from elsewhere hits both alike.
      const managerRounds: Series[] = [];
      const idealRounds: Series[] = [];
      const perRound = Math.ceil(per / ROUNDS);
      for (let round = 0; round < ROUNDS; round++) {
        const order: [Series[], (() => Promise<void>)[], ChildProcess][] = [
          [managerRounds, viaManager, manager],
          [idealRounds, viaIdeal, ideal],
        ];
        if (round % 2 === 1) order.reverse();
        for (const [into, trips, child] of order) {
          into.push(await measure(clients, perRound, (c) => trips[c]!(), child.pid));
        }
      }
      const viaRow = summary("flow manager (client->manager->flow->client)", merge(managerRounds));
      const idealRow = summary("ideal relay (same container, same clients)", merge(idealRounds));
      const rows = [
        viaRow,
        idealRow,
        summary("bare socket.io echo", await measure(clients, per, (c) => echoes[c]!(), echo.pid)),
        summary(
          "bare unix-socket echo (container)",
          await measure(clients, per, (c) => unixes[c]!()),
        ),
      ];
      console.log(
        `\nround trip, ${clients} client(s), ${perRound * ROUNDS} messages each (${ROUNDS} alternating rounds), load average ${load()}:`,
      );
      print(rows);
      const line = `${clients} client(s): manager/ideal p50 ${(viaRow.p50 / idealRow.p50).toFixed(2)}x, throughput ${(idealRow.rate / viaRow.rate).toFixed(2)}x (ideal ${idealRow.rate.toFixed(0)} / manager ${viaRow.rate.toFixed(0)} msg/s), CPU per message ${((viaRow.cpuUs ?? 0) / (idealRow.cpuUs ?? 1)).toFixed(2)}x`;
      console.log(`  ${line}`);
      ratios.push(line);
      for (const s of [...managerSockets, ...idealSockets, ...echoSockets]) s.close();
    }
    console.log(`\nrelay cost against the ideal relay (>1: the manager is slower):`);
    for (const line of ratios) console.log(`  ${line}`);
    if (RELAY_ONLY) {
      admin.close();
      await rm(unixDir, { recursive: true, force: true });
      return;
    }

    // --- 2. get_container_status with 50 running containers
    const ids: string[] = [flowId];
    for (let batch = 0; ids.length < STATUS_CONTAINERS; batch++) {
      const n = Math.min(10, STATUS_CONTAINERS - ids.length);
      const made = await Promise.all(
        Array.from({ length: n }, async (_, i) => {
          const c = await call(admin, "create_container", {
            image: IMAGE,
            name: `bench-${RUN_ID}-s${batch}-${i}`,
          });
          await call(admin, "start_container", { container_id: c.container_id });
          return c.container_id as string;
        }),
      );
      ids.push(...made);
    }
    await waitFor(async () => {
      const all = await Promise.all(
        ids.map((id) => call(admin, "get_container_status", { container_id: id })),
      );
      return all.every((s) => (s.resource_usage as { sampled_at: string | null }).sampled_at)
        ? true
        : undefined;
    }, "stats samples for 50 containers");
    const statusClient = await connectClient(managerUrl);
    await measure(1, WARMUP, (_, i) =>
      call(statusClient, "get_container_status", { container_id: ids[i % ids.length] }).then(
        () => {},
      ),
    );
    const status = summary(
      `get_container_status (${ids.length} running)`,
      await measure(1, STATUS_QUERIES, (_, i) =>
        call(statusClient, "get_container_status", { container_id: ids[i % ids.length] }).then(
          () => {},
        ),
      ),
    );
    console.log(`\nstatus queries, ${STATUS_QUERIES} sequential, answered from memory:`);
    print([status]);
    statusClient.close();
    for (const id of ids.slice(1)) await call(admin, "delete_container", { container_id: id });

    // --- 3. create+start vs docker run -d
    const viaManager: number[] = [];
    const viaCli: number[] = [];
    for (let i = 0; i < CREATE_RUNS; i++) {
      let t0 = performance.now();
      const c = await call(admin, "create_container", {
        image: IMAGE,
        name: `bench-${RUN_ID}-m${i}`,
      });
      await call(admin, "start_container", { container_id: c.container_id });
      viaManager.push(performance.now() - t0);
      t0 = performance.now();
      await run("docker", [
        "run",
        "-d",
        "--label",
        LABEL,
        "--name",
        `bench-${RUN_ID}-d${i}`,
        IMAGE,
      ]);
      viaCli.push(performance.now() - t0);
    }
    console.log(`\ncreate+start, ${CREATE_RUNS} sequential runs each:`);
    console.log(
      `  manager create_container+start_container   p50 ${ms(pct(viaManager, 50))}  max ${ms(Math.max(...viaManager))}`,
    );
    console.log(
      `  docker run -d                              p50 ${ms(pct(viaCli, 50))}  max ${ms(Math.max(...viaCli))}`,
    );
    console.log(
      `  ratio manager / docker run -d (p50)        ${(pct(viaManager, 50) / pct(viaCli, 50)).toFixed(2)}x`,
    );
    admin.close();
    await rm(unixDir, { recursive: true, force: true });
  } finally {
    for (const c of children) c.kill("SIGTERM");
    await cleanup();
    await rm(socketRoot, { recursive: true, force: true });
  }
}

await main();
