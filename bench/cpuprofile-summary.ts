/**
 * Where a relay's time goes, from a V8 CPU profile (`node --cpu-prof`; flow-relay.ts writes them
 * with FLOW_BENCH_MANAGER_NODE_ARGS / FLOW_BENCH_IDEAL_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR"):
 * self time of the main thread without idle time and module loading, by category and by function.
 *   pnpm --dir bench exec tsx cpuprofile-summary.ts DIR/CPU....cpuprofile [functions to list]
 * Self time is wall time while the function was on the stack top: on a loaded machine it also
 * counts time the process was preempted there (syscalls that wake another process, mostly).
 */
import { readFileSync } from "node:fs";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, top = "25"] = process.argv.slice(2);
if (!file) throw new Error("usage: cpuprofile-summary.ts <file.cpuprofile> [functions to list]");
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parentOf = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);

const SYSCALL_WRITES = new Set(["writev", "writeUtf8String", "writeLatin1String", "writeBuffer"]);
const LOADING = /^node:internal\/modules\//;

function isLoading(id: number): boolean {
  for (let p: number | undefined = id; p !== undefined; p = parentOf.get(p)) {
    if (LOADING.test(byId.get(p)?.callFrame.url ?? "")) return true;
  }
  return false;
}

function category({ functionName: fn, url }: CallFrame): string {
  if (fn === "(garbage collector)") return "garbage collection";
  if (url === "" && SYSCALL_WRITES.has(fn)) return "socket writes (syscalls)";
  if (/pino|sonic-boom/.test(url) || (url === "" && fn === "writeString"))
    return "audit log (pino)";
  if (/zod/.test(url)) return "zod";
  if (/socket\.io|engine\.io|\/ws\//.test(url)) return "Socket.IO / engine.io / ws";
  if (url.startsWith("node:") || url === "") return "Node internals";
  if (/node_modules/.test(url)) return `other package: ${url.replace(/.*node_modules\//, "")}`;
  return "the relay's own code";
}

/** `function file:line`, with paths shortened to the package or the repository. */
function where({ functionName, url, lineNumber }: CallFrame): string {
  const path = url
    .replace(/.*node_modules\//, "")
    .replace(/^file:\/\/.*?\/(apps|bench|packages)\//, "$1/");
  return `${functionName || "(anonymous)"} ${path}:${lineNumber + 1}`;
}

const byCategory = new Map<string, number>();
const byFunction = new Map<string, number>();
let busy = 0;
profile.samples.forEach((id, i) => {
  const frame = byId.get(id)?.callFrame;
  const us = profile.timeDeltas[i] ?? 0;
  if (!frame || frame.functionName === "(idle)" || frame.functionName === "(program)") return;
  if (isLoading(id)) return;
  busy += us;
  const c = category(frame);
  byCategory.set(c, (byCategory.get(c) ?? 0) + us);
  const f = where(frame);
  byFunction.set(f, (byFunction.get(f) ?? 0) + us);
});

const row = (name: string, us: number) =>
  `${(us / 1000).toFixed(0).padStart(7)} ms ${((100 * us) / busy).toFixed(1).padStart(5)} %  ${name}`;
const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
console.log(`busy ${(busy / 1000).toFixed(0)} ms (main thread, no idle, no module loading)`);
console.log("\nby category:");
for (const [name, us] of sorted(byCategory)) console.log(row(name, us));
console.log("\nby function (self time):");
for (const [name, us] of sorted(byFunction).slice(0, Number(top))) console.log(row(name, us));
