// Shared set-up of the agent benchmarks: the Cloudflare stand-in, the real master (PostgreSQL
// from TEST_DATABASE_URL when set, else embedded PGlite) and an issued agent key.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase } from "@dockflow/testkit";
import { startMaster } from "../apps/master/src/index.ts";
import { createCloudflareSandbox } from "../packages/cloudflare-sandbox/src/index.ts";

const ADMIN = `bench-admin-${randomBytes(8).toString("hex")}`;

export async function benchStack() {
  const sandbox = createCloudflareSandbox({ zones: ["example.com"], rateLimit: false });
  const scratch = await mkdtemp(join(tmpdir(), "dockflow-agent-bench-"));
  const database = process.env.TEST_DATABASE_URL
    ? await createTestDatabase("dockflow_bench")
    : undefined;
  const master = await startMaster(
    {
      PORT: "0",
      HOST: "127.0.0.1",
      ...(database ? { DATABASE_URL: database.url } : { DATA_DIR: join(scratch, "master") }),
      MASTER_ADMIN_TOKEN: ADMIN,
      CLOUDFLARE_API_TOKEN: sandbox.token,
      CLOUDFLARE_ACCOUNT_ID: sandbox.accountId,
      LOG_LEVEL: "silent",
    },
    { cloudflareFetch: sandbox.fetch as typeof fetch },
  );
  const masterUrl = master.url.replace(/\/+$/, "");
  const response = await fetch(`${masterUrl}/api/v2/keys`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "bench" }),
  });
  const { key } = (await response.json()) as { key: string };
  /** Hostnames live in any tunnel's ingress in the stand-in. */
  const liveHostnames = () => {
    const live = new Set<string>();
    for (const c of sandbox.state.configurations.values()) {
      for (const rule of (c.config?.ingress ?? []) as { hostname?: string }[]) {
        if (rule.hostname) live.add(rule.hostname);
      }
    }
    return live;
  };
  return {
    sandbox,
    masterUrl,
    agentKey: key,
    scratch,
    liveHostnames,
    async close() {
      await master.close();
      await database?.drop();
      await rm(scratch, { recursive: true, force: true });
    },
  };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)]!;
}
