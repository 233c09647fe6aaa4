// Reliability load run, by hand (not part of the tests): 10,000 simulated agents against one
// master on real PostgreSQL, each one issued a key, registering, heartbeating, reporting its
// containers, polling for commands and heartbeating again (6 requests per agent), BENCH_CONCURRENCY
// in flight, loopback only. Reports errors (the goal: none) and per-step latency percentiles.
//
//   source /tmp/devenv.exports   # TEST_DATABASE_URL (superuser URL: a fresh database is made)
//   pnpm exec tsx bench/reliability-master-agents-10k.ts
//
// The master runs as its own process (the real entry point, `node --import tsx src/main.ts`),
// against the Cloudflare stand-in over loopback; this process is the load generator.
// BENCH_AGENTS (default 10000) and BENCH_CONCURRENCY (default 64) change the shape.
import { loadavg } from "node:os";
import { createTestDatabase } from "@dockflow/testkit";
import {
  adminToken,
  freePort,
  MasterClient,
  masterEnv,
  spawnService,
  startSandbox,
  waitHealthy,
} from "../packages/reliability/src/master-harness.ts";
import { formatLoad, simulateAgents } from "../packages/reliability/src/master-load.ts";

const AGENTS = Number(process.env.BENCH_AGENTS ?? 10_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);

const db = await createTestDatabase("dockflow_rel_bench");
const cf = await startSandbox();
const port = await freePort();
const admin = adminToken();
const master = spawnService(
  "master",
  masterEnv({
    databaseUrl: db.url,
    adminToken: admin,
    cloudflare: cf.env,
    port,
    extra: { LOG_LEVEL: "warn", DATABASE_POOL_SIZE: "20" },
  }),
);
try {
  const url = `http://127.0.0.1:${port}`;
  await waitHealthy(url);
  const client = new MasterClient(url, admin);
  client.record = false;
  console.log(
    `load average before: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
  const result = await simulateAgents(client, {
    agents: AGENTS,
    concurrency: CONCURRENCY,
    tag: "bench",
  });
  console.log(formatLoad(result));
  for (const error of result.errors.slice(0, 10))
    console.log(`error: ${error.step} ${error.detail}`);
  const list = await client.ok<{ agents: { status: string }[] }>("GET", "/api/v2/agents");
  const online = list.agents.filter((a) => a.status === "online").length;
  console.log(`agents known to the master: ${list.agents.length}, online: ${online}`);
  console.log(`master still healthy: ${await client.healthy()}`);
  console.log(
    `load average after: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
  const masterErrors = master.lines.filter((l) => /"level":(50|60)/.test(l));
  console.log(`master error/fatal log lines: ${masterErrors.length}`);
  process.exitCode = result.errors.length === 0 && online === AGENTS ? 0 : 1;
} finally {
  await master.stop("SIGTERM");
  await cf.close();
  await db.drop();
}
