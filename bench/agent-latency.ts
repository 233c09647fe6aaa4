// Time from `docker run` of a labelled container to its ingress rule being live in the
// Cloudflare stand-in, through the real agent and master. Run by hand:
//   source /tmp/devenv.exports   # optional: PostgreSQL for the master (else PGlite)
//   pnpm --dir bench exec tsx agent-latency.ts [containers=50]
// Needs dockflow-base/busybox:local and dockflow/cloudflared-standin:local (docker/build-images.sh).
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { dockerFor, removeLabelled, TEST_LABEL, testRunId } from "@dockflow/testkit";
import { startAgent } from "../apps/agent/src/index.ts";
import { benchStack, percentile } from "./agent-stack.ts";

const run = promisify(execFile);
const count = Number(process.argv[2] ?? 50);
const id = randomBytes(3).toString("hex");
const scope = `dockflow.agent-bench=${id}`;
const docker = dockerFor();
const stack = await benchStack();
const agent = await startAgent({
  MASTER_URL: stack.masterUrl,
  AGENT_API_KEY: stack.agentKey,
  DATA_DIR: `${stack.scratch}/agent`,
  CLOUDFLARED_IMAGE: "dockflow/cloudflared-standin:local",
  CLOUDFLARED_NETWORK: `dockflow-agent-bench-${id}`,
  CONNECTOR_NAME: `dockflow-agent-bench-${id}`,
  CONNECTOR_LABELS: `${TEST_LABEL}=${testRunId}`,
  DISCOVERY_SCOPE_LABEL: scope,
  HEALTH_HOST: "127.0.0.1",
  HEALTH_PORT: "0",
  LOG_LEVEL: "warn",
});

/** `docker run -d` of a container labelled as in seed 2.1; resolves when its rule is live. */
const runDurations: number[] = [];
const afterRun: number[] = [];
async function measure(name: string): Promise<number> {
  const hostname = `${name}.example.com`;
  const started = performance.now();
  await run("docker", [
    "run",
    "-d",
    "--init",
    "--name",
    name,
    "--label",
    `${TEST_LABEL}=${testRunId}`,
    "--label",
    scope,
    "--label",
    "dockflare.enable=true",
    "--label",
    `dockflare.domain=${hostname}`,
    "--label",
    "dockflare.port=8080",
    "dockflow-base/busybox:local",
    "sleep",
    "3600",
  ]);
  runDurations.push(performance.now() - started);
  for (;;) {
    if (stack.liveHostnames().has(hostname)) {
      const total = performance.now() - started;
      afterRun.push(total - runDurations.at(-1)!);
      return total;
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

try {
  // Warm-up: the first container also creates the tunnel and starts the connector.
  const warm = await measure(`bench-${id}-warmup`);
  console.log(
    `first container (tunnel creation + connector start included): ${warm.toFixed(0)} ms`,
  );
  const samples: number[] = [];
  for (let i = 0; i < count; i++) samples.push(await measure(`bench-${id}-${i}`));
  samples.sort((a, b) => a - b);
  const fmt = (ms: number) => `${ms.toFixed(0)} ms`;
  console.log(
    `docker run -> ingress live, n=${count}: p50 ${fmt(percentile(samples, 50))}, ` +
      `p90 ${fmt(percentile(samples, 90))}, p99 ${fmt(percentile(samples, 99))}, max ${fmt(samples.at(-1)!)}`,
  );
  const runs = runDurations.slice(1).sort((a, b) => a - b);
  console.log(
    `  of which the docker run CLI itself (create + start + exit): p50 ${fmt(percentile(runs, 50))}, p99 ${fmt(percentile(runs, 99))}`,
  );
  const rest = afterRun.slice(1).sort((a, b) => a - b);
  console.log(
    `  after the CLI returned (agent event -> master -> Cloudflare stand-in): p50 ${fmt(percentile(rest, 50))}, p99 ${fmt(percentile(rest, 99))}`,
  );
  // A 30 s command poll (the DockFlare agent) waits uniformly 0-30 s for the next poll.
  console.log("30 s command poll baseline (poll wait alone): p50 15000 ms, p99 29700 ms");
} finally {
  await agent.close();
  await stack.close();
  await removeLabelled(docker);
}
