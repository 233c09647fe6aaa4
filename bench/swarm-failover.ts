// Node failure on the three-node test cluster: from SIGKILLing the engine of the worker that runs
// the task serving a hostname to that hostname served through another node's tunnel (ingress and
// CNAME in the Cloudflare stand-in), against Swarm's own time to get the replacement task running.
// Run by hand, on a cluster started with scripts/cluster.sh:
//   bash scripts/cluster.sh up && source /tmp/dfc/env && source /tmp/dockflow-env
//   pnpm --dir bench exec tsx swarm-failover.ts [runs=5]
//   bash scripts/cluster.sh down
// Agents report every second and the master calls an agent offline after 5 s (as in the cluster
// tests); Swarm's dispatcher heartbeat is scripts/cluster.sh's (1 s).
import { waitFor } from "@dockflow/testkit";
import {
  killNode,
  runningTasks,
  startNode,
} from "../packages/cluster-tests/test/helpers/cluster.ts";
import { ClusterScenario } from "../packages/cluster-tests/test/helpers/scenario.ts";
import { percentile } from "./agent-stack.ts";

const runs = Number(process.argv[2] ?? 5);
const s = await ClusterScenario.start("bench-failover");
const swarmMs: number[] = [];
const servedMs: number[] = [];
try {
  for (let i = 0; i < runs; i++) {
    const service = `bench-${s.names.id}-${i}`;
    const hostname = `${service}.example.com`;
    const { from, to } = await s.serveFromWorker(service, hostname);
    const newTunnel = await s.tunnelOf(to.id).catch(() => undefined);

    const started = performance.now();
    let swarmAt = 0;
    let servedAt = 0;
    await from.stop();
    await killNode(from.node);
    await Promise.all([
      waitFor(
        async () => {
          const tasks = await runningTasks(s.cluster, service);
          if (tasks.length === 1 && tasks[0]!.nodeId === to.node.id) swarmAt = performance.now();
          return swarmAt > 0;
        },
        { message: "task rescheduled", timeoutMs: 120_000, intervalMs: 20 },
      ),
      waitFor(
        async () => {
          const tunnel = newTunnel ?? (await s.tunnelOf(to.id));
          const now = s.served(hostname);
          if (now.cname === tunnel && now.ingress.includes(tunnel)) servedAt = performance.now();
          return servedAt > 0;
        },
        { message: "hostname served by the other worker", timeoutMs: 120_000, intervalMs: 20 },
      ),
    ]);
    swarmMs.push(swarmAt - started);
    servedMs.push(servedAt - started);
    console.log(
      `run ${i + 1}: ${from.node.name} killed; Swarm's replacement running after ${(swarmAt - started).toFixed(0)} ms, hostname served through ${to.node.name}'s tunnel after ${(servedAt - started).toFixed(0)} ms`,
    );
    await startNode(s.cluster, from.node);
    await from.start();
    await waitFor(async () => (await s.masterAgent(from.id))?.status === "online", {
      message: "agent back online",
      timeoutMs: 60_000,
    });
    await s.manager(["service", "rm", service]);
  }
} finally {
  await s.close();
}
const line = (name: string, values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  console.log(
    `${name}: p50 ${percentile(sorted, 50).toFixed(0)} ms, max ${sorted.at(-1)!.toFixed(0)} ms (${values.length} runs)`,
  );
};
line("Swarm: replacement task running", swarmMs);
line("dockflow: hostname served through the new node's tunnel", servedMs);
line(
  "difference (dockflow's own part)",
  servedMs.map((v, i) => v - swarmMs[i]!),
);
