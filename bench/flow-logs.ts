/**
 * Container logs benchmark (run by hand, not part of the tests):
 *   cd bench && pnpm exec tsx flow-logs.ts
 *
 * In one run, against one busybox container on this machine's Docker engine:
 * 1. Following: a burst of FLOW_BENCH_LOG_LINES lines (100 bytes each) printed at once, timed from
 *    the start of the burst to the last line received, through the flow manager (subscribe_logs,
 *    container_log pushes to a Socket.IO client) and through Docker's own follow stream read raw
 *    with dockerode (no demultiplexing, no lines: the floor), each on its own burst.
 * 2. Reading: get_container_logs with tail 5000 against Docker's logs call with tail 5000 read
 *    raw, p50 of 30 each.
 * The manager runs in this process with the client (as in the tests). Every container carries
 * the label dockflow.bench=<run id> and is removed at the end.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { configFrom, startFlowManager } from "@dockflow/flow-manager";
import { dockerFor, execIn } from "@dockflow/testkit";
import { io } from "socket.io-client";

const docker = dockerFor();
const RUN_ID = randomBytes(4).toString("hex");
const LINES = Number(process.env.FLOW_BENCH_LOG_LINES ?? 50_000);
const READS = 30;

const burst = (tag: string) => [
  "sh",
  "-c",
  `awk 'BEGIN{p=sprintf("%80s",""); gsub(/ /,"x",p); for(i=1;i<=${LINES};i++) printf "${tag}-%07d %s\\n", i, p}' > /proc/1/fd/1`,
];
const lastLine = (tag: string) => `${tag}-${String(LINES).padStart(7, "0")}`;

function p50(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

const root = await mkdtemp(join(tmpdir(), "bench-logs-"));
const socketRoot = await mkdtemp("/tmp/bfl-");
const managerId = `bench-logs-${RUN_ID}`;
const manager = await startFlowManager(
  configFrom({
    HOST: "127.0.0.1",
    PORT: "0",
    FLOW_MANAGER_ID: managerId,
    FLOW_ALLOWED_ROOTS: root,
    FLOW_SOCKET_ROOT: socketRoot,
    FLOW_DEFAULT_LABELS: `dockflow.bench=${RUN_ID}`,
    LOG_LEVEL: "warn",
  }),
);
const client = io(manager.url, { transports: ["websocket"], reconnection: false });
// biome-ignore lint/suspicious/noExplicitAny: untyped bench client
const call = (event: string, payload: object): Promise<any> =>
  client.emitWithAck(event, payload).then((ack) => {
    if (!ack.ok) throw new Error(`${event}: ${ack.error.message}`);
    return ack.data;
  });

try {
  await new Promise<void>((resolve) => client.once("connected", () => resolve()));
  const { container_id: id } = await call("create_container", {
    image: "dockflow-base/busybox:local",
    name: `bench-logs-${RUN_ID}`,
    command: ["sh", "-c", "exec sleep 3600"],
  });
  await call("start_container", { container_id: id });

  // 1a. Through the manager.
  let received = 0;
  let dropped = 0;
  let done: () => void = () => undefined;
  const arrived = new Promise<void>((resolve) => {
    done = resolve;
  });
  client.on("container_log", (p: { lines: { text: string }[]; dropped?: number }) => {
    received += p.lines.length;
    dropped += p.dropped ?? 0;
    if (p.lines.at(-1)?.text.startsWith(lastLine("fm"))) done();
  });
  await call("subscribe_logs", { container_id: id });
  let started = performance.now();
  await execIn(docker, id, burst("fm"));
  await arrived;
  const managerMs = performance.now() - started;
  await call("unsubscribe_logs", { container_id: id });

  // 1b. Docker's own stream, raw.
  const stream = (await docker.getContainer(id).logs({
    follow: true,
    stdout: true,
    stderr: true,
    since: Math.floor(Date.now() / 1000),
  })) as unknown as Readable;
  const last = Buffer.from(lastLine("raw"));
  let tail = Buffer.alloc(0);
  const rawDone = new Promise<void>((resolve) => {
    stream.on("data", (chunk: Buffer) => {
      tail = Buffer.concat([tail, chunk]).subarray(-4096);
      if (tail.includes(last)) resolve();
    });
  });
  started = performance.now();
  await execIn(docker, id, burst("raw"));
  await rawDone;
  const rawMs = performance.now() - started;
  stream.destroy();

  // 2. Reading the last 5000 lines.
  const viaManager: number[] = [];
  const viaDocker: number[] = [];
  for (let i = 0; i < READS; i++) {
    let t = performance.now();
    await call("get_container_logs", { container_id: id, tail: 5000 });
    viaManager.push(performance.now() - t);
    t = performance.now();
    await docker.getContainer(id).logs({ follow: false, stdout: true, stderr: true, tail: 5000 });
    viaDocker.push(performance.now() - t);
  }

  const rate = (msTaken: number) => Math.round(LINES / (msTaken / 1000));
  console.log(`container logs, ${LINES} lines of 100 bytes per burst (run ${RUN_ID})`);
  console.log(
    `  follow, flow manager -> client   ${managerMs.toFixed(0).padStart(6)} ms  ${rate(managerMs)} lines/s  (received ${received}, dropped ${dropped})`,
  );
  console.log(
    `  follow, Docker stream raw        ${rawMs.toFixed(0).padStart(6)} ms  ${rate(rawMs)} lines/s`,
  );
  console.log(`  follow ratio manager / raw       ${(managerMs / rawMs).toFixed(2)}x`);
  console.log(
    `  get tail 5000, flow manager      p50 ${p50(viaManager).toFixed(1)} ms; Docker raw p50 ${p50(viaDocker).toFixed(1)} ms; ratio ${(p50(viaManager) / p50(viaDocker)).toFixed(2)}x`,
  );
} finally {
  client.close();
  await manager.close();
  for (const c of await docker.listContainers({
    all: true,
    filters: { label: [`dockflow.bench=${RUN_ID}`] },
  })) {
    await docker.getContainer(c.Id).remove({ force: true });
  }
  await rm(root, { recursive: true, force: true });
  await rm(socketRoot, { recursive: true, force: true });
}
