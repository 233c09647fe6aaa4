// The agent's memory (RSS of the bundled agent process, dist/main.mjs) idle and with 100
// labelled containers it reports. Run by hand:
//   pnpm --filter @dockflow/agent build && pnpm --dir bench exec tsx agent-memory.ts [containers=100]
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { dockerFor, removeLabelled, TEST_LABEL, testRunId, waitFor } from "@dockflow/testkit";
import { benchStack } from "./agent-stack.ts";

const run = promisify(execFile);
const count = Number(process.argv[2] ?? 100);
const id = randomBytes(3).toString("hex");
const scope = `dockflow.agent-bench=${id}`;
const docker = dockerFor();
const bundle = fileURLToPath(new URL("../apps/agent/dist/main.mjs", import.meta.url));
const stack = await benchStack();

async function rssMiB(child: ChildProcess): Promise<number> {
  const status = await readFile(`/proc/${child.pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
  return kb / 1024;
}

/** Samples RSS for a few report intervals and returns the highest value seen. */
async function settledRss(child: ChildProcess, ms: number): Promise<number> {
  let peak = 0;
  const until = Date.now() + ms;
  while (Date.now() < until) {
    peak = Math.max(peak, await rssMiB(child));
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return peak;
}

const child = spawn(process.execPath, [bundle], {
  env: {
    PATH: process.env.PATH ?? "",
    MASTER_URL: stack.masterUrl,
    AGENT_API_KEY: stack.agentKey,
    DATA_DIR: `${stack.scratch}/agent`,
    REPORT_INTERVAL_SECONDS: "2",
    CLOUDFLARED_IMAGE: "dockflow/cloudflared-standin:local",
    CLOUDFLARED_NETWORK: `dockflow-agent-bench-${id}`,
    CONNECTOR_NAME: `dockflow-agent-bench-${id}`,
    CONNECTOR_LABELS: `${TEST_LABEL}=${testRunId}`,
    DISCOVERY_SCOPE_LABEL: scope,
    HEALTH_HOST: "127.0.0.1",
    HEALTH_PORT: "0",
    LOG_LEVEL: "warn",
  },
  stdio: ["ignore", "inherit", "inherit"],
});

try {
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const idle = await settledRss(child, 6000);
  console.log(`agent RSS idle (registered, no containers): ${idle.toFixed(1)} MiB`);
  for (let i = 0; i < count; i++) {
    await run("docker", [
      "run",
      "-d",
      "--init",
      "--name",
      `bench-mem-${id}-${i}`,
      "--label",
      `${TEST_LABEL}=${testRunId}`,
      "--label",
      scope,
      "--label",
      "dockflare.enable=true",
      "--label",
      `dockflare.domain=bench-mem-${id}-${i}.example.com`,
      "--label",
      "dockflare.port=8080",
      "dockflow-base/busybox:local",
      "sleep",
      "3600",
    ]);
  }
  await waitFor(
    () =>
      [...stack.liveHostnames()].filter((h) => h.startsWith(`bench-mem-${id}-`)).length === count,
    { timeoutMs: 300_000, intervalMs: 200, message: `${count} rules live` },
  );
  const loaded = await settledRss(child, 6000);
  console.log(
    `agent RSS with ${count} labelled containers (all rules live): ${loaded.toFixed(1)} MiB`,
  );
} finally {
  child.kill("SIGTERM");
  await new Promise((resolve) => child.once("exit", resolve));
  await stack.close();
  await removeLabelled(docker);
}
