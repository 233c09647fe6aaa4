/**
 * Stop and restart benchmark (run by hand, not part of the tests):
 *   pnpm --filter @dockflow/bench flow-stop        (or: cd bench && pnpm exec tsx flow-stop.ts)
 *
 * In one run, on this machine's Docker engine with the flow:latest image, each container stopped
 * or restarted right after it started (the case that used to wait out the grace period):
 * - `stop_container` / `restart_container` through the flow manager (its own process, default
 *   10 s grace period), timed from the request to its acknowledgement;
 * - `docker stop` / `docker restart` of `docker run -d` of the same image (no init: the runtime is
 *   PID 1), and of `docker run --init -d` (Docker's init as PID 1, as the manager now runs flows),
 *   timed around the CLI command.
 * Prints p50/max, the exit codes Docker reported for the stop (its `die` events), and the ratios.
 * FLOW_BENCH_STOP_RUNS (default 8) sets the runs per case. Every container carries testkit's run
 * label (dockflow.test=<run id>) and is removed at the end.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { dockerFor, removeLabelled, TEST_LABEL, testRunId, waitFor } from "@dockflow/testkit";
import { io, type Socket } from "socket.io-client";

const run = promisify(execFile);
const docker = dockerFor();
const LABEL = `${TEST_LABEL}=${testRunId}`;
const IMAGE = process.env.FLOW_BENCH_IMAGE ?? "flow:latest";
const RUNS = Number(process.env.FLOW_BENCH_STOP_RUNS ?? 8);
const here = import.meta.dirname;
const root = join(here, "..");

type Op = "stop" | "restart";

interface Case {
  name: string;
  ms: number[];
  ids: string[];
}

function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}
const fmt = (n: number) => `${n.toFixed(0)} ms`;

type Ack = { ok: boolean; data?: Record<string, unknown>; error?: { message: string } };
async function call(socket: Socket, event: string, payload: unknown) {
  const ack = (await socket.emitWithAck(event, payload)) as Ack;
  if (!ack.ok) throw new Error(`${event}: ${ack.error?.message}`);
  return ack.data ?? {};
}

/** Exit codes of every `die` event of this run's containers, by container id. */
async function followDies(): Promise<{ codes: Map<string, number[]>; close: () => void }> {
  const codes = new Map<string, number[]>();
  const stream = (await docker.getEvents({
    filters: { type: ["container"], event: ["die"], label: [LABEL] },
  })) as unknown as NodeJS.ReadableStream & { destroy(): void };
  let buf = "";
  stream.on("data", (chunk: Buffer) => {
    buf += chunk.toString();
    for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
      const event = JSON.parse(buf.slice(0, nl)) as {
        id: string;
        Actor: { Attributes: { exitCode: string } };
      };
      buf = buf.slice(nl + 1);
      codes.set(event.id, [
        ...(codes.get(event.id) ?? []),
        Number(event.Actor.Attributes.exitCode),
      ]);
    }
  });
  return { codes, close: () => stream.destroy() };
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** One create+start through the manager, then the timed stop or restart. */
async function viaManager(admin: Socket, op: Op, i: number, into: Case): Promise<void> {
  const created = await call(admin, "create_container", {
    image: IMAGE,
    name: `bench-${testRunId}-m${op}${i}`,
  });
  const id = created.container_id as string;
  await call(admin, "start_container", { container_id: id });
  into.ms.push(await timed(() => call(admin, `${op}_container`, { container_id: id })));
  into.ids.push(id);
}

/** One `docker run -d [--init]`, then the timed `docker stop` or `docker restart`. */
async function viaCli(op: Op, init: boolean, i: number, into: Case): Promise<void> {
  const name = `bench-${testRunId}-d${op}${init ? "i" : ""}${i}`;
  const flags = init ? ["--init"] : [];
  const { stdout } = await run("docker", [
    "run",
    "-d",
    ...flags,
    "--label",
    LABEL,
    "--name",
    name,
    IMAGE,
  ]);
  into.ms.push(await timed(() => run("docker", [op, name])));
  into.ids.push(stdout.trim());
}

function report(title: string, cases: Case[], dies: Map<string, number[]>) {
  console.log(`\n${title}, ${RUNS} runs each, right after start:`);
  for (const c of cases) {
    const exits = new Map<number, number>();
    for (const id of c.ids) {
      for (const code of dies.get(id) ?? []) exits.set(code, (exits.get(code) ?? 0) + 1);
    }
    const shown = [...exits].map(([code, n]) => `${code}x${n}`).join(" ") || "none";
    console.log(
      `  ${c.name.padEnd(32)} p50 ${fmt(pct(c.ms, 50)).padStart(9)}  max ${fmt(Math.max(...c.ms)).padStart(9)}  exit codes ${shown}`,
    );
  }
  const [manager, ...baselines] = cases;
  for (const b of baselines) {
    const ratio = (pct(manager!.ms, 50) / pct(b.ms, 50)).toFixed(2);
    console.log(`  p50 ratio ${manager!.name} / ${b.name}: ${ratio}x`);
  }
}

/** Starts the manager in its own process on a free port; resolves with its URL once it listens. */
function startManager(socketRoot: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(root, "apps/flow-manager/src/main.ts")],
    {
      cwd: here,
      env: {
        ...process.env,
        PORT: "0",
        FLOW_MANAGER_ID: `bench-${testRunId}`,
        FLOW_SOCKET_ROOT: socketRoot,
        FLOW_ALLOWED_ROOTS: socketRoot,
        FLOW_DEFAULT_LABELS: LABEL,
        FLOW_STOP_TIMEOUT_SECONDS: "10",
        LOG_LEVEL: "info",
      },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  return new Promise((resolve, reject) => {
    let buf = "";
    let found = false;
    // Reads every log line (so the pipe never fills) and picks the URL from "flow manager listening".
    child.stdout?.on("data", (chunk: Buffer) => {
      buf += chunk.toString();
      for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (found || !line.includes('"flow manager listening"')) continue;
        found = true;
        resolve({ child, url: (JSON.parse(line) as { url: string }).url });
      }
    });
    child.once("exit", (code) => reject(new Error(`the manager exited (${code})`)));
  });
}

async function main() {
  console.log(`flow stop benchmark (run ${testRunId}): node ${process.version}, image ${IMAGE}`);
  const socketRoot = await mkdtemp("/tmp/dfs-");
  let manager: ChildProcess | undefined;
  const dies = await followDies();
  try {
    const started = await startManager(socketRoot);
    manager = started.child;
    const admin = io(started.url, {
      transports: ["websocket"],
      forceNew: true,
      reconnection: false,
    });
    await new Promise<void>((resolve, reject) => {
      admin.once("connect", () => resolve());
      admin.once("connect_error", reject);
    });

    for (const op of ["stop", "restart"] as const) {
      const cases: Case[] = [
        { name: `manager ${op}_container`, ms: [], ids: [] },
        { name: `docker ${op} (run -d --init)`, ms: [], ids: [] },
        { name: `docker ${op} (run -d)`, ms: [], ids: [] },
      ];
      // Interleaved, so that the three see the same load on the machine.
      for (let i = 0; i < RUNS; i++) {
        await viaManager(admin, op, i, cases[0]!);
        await viaCli(op, true, i, cases[1]!);
        await viaCli(op, false, i, cases[2]!);
      }
      // The die events of the last runs may still be on their way.
      await waitFor(() => cases.every((c) => c.ids.every((id) => dies.codes.has(id))), {
        message: "die events",
      });
      report(op, cases, dies.codes);
    }
    admin.close();
  } finally {
    dies.close();
    manager?.kill("SIGTERM");
    await removeLabelled(docker);
    await rm(socketRoot, { recursive: true, force: true });
  }
}

await main();
