import {
  type CloudflareSandbox,
  createCloudflareSandbox,
  type DnsRecord,
} from "@dockflow/cloudflare-sandbox";
import { startMaster } from "@dockflow/master";
import { createTestDatabase, type TestDatabase } from "@dockflow/testkit";

export const ADMIN_TOKEN = "admin-token-for-agent-tests-0123456789";

export interface MasterStack {
  sandbox: CloudflareSandbox;
  database: TestDatabase;
  masterUrl: string;
  port: number;
  agentKey: string;
  /** Calls an admin route of the master. */
  admin<T>(method: string, path: string, body?: unknown): Promise<T>;
  stopMaster(): Promise<void>;
  /** Starts the master again on the same port and database. */
  startMaster(): Promise<void>;
  /** The live ingress of `tunnelId` in the stand-in (without the catch-all). */
  ingress(tunnelId: string): { hostname?: string; service: string }[];
  /** The CNAME for `hostname` in the stand-in, if any. */
  cname(hostname: string): DnsRecord | undefined;
  /** The connector token of `tunnelId`, as Cloudflare hands it out. */
  tunnelToken(tunnelId: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * The real master on a per-test PostgreSQL database, talking to an in-process Cloudflare
 * stand-in (zone example.com); an agent key issued through the admin API.
 */
export async function startMasterStack(env: Record<string, string> = {}): Promise<MasterStack> {
  const sandbox = createCloudflareSandbox({ zones: ["example.com"], rateLimit: false });
  const database = await createTestDatabase("dockflow_agent_e2e");
  let port = 0;
  let master: { url: string; close(): Promise<void> } | undefined;
  const boot = async () => {
    master = await startMaster(
      {
        PORT: String(port),
        HOST: "127.0.0.1",
        DATABASE_URL: database.url,
        MASTER_ADMIN_TOKEN: ADMIN_TOKEN,
        CLOUDFLARE_API_TOKEN: sandbox.token,
        CLOUDFLARE_ACCOUNT_ID: sandbox.accountId,
        SWEEP_INTERVAL_SECONDS: "1",
        LOG_LEVEL: "silent",
        ...env,
      },
      { cloudflareFetch: sandbox.fetch as typeof fetch },
    );
    port = Number(new URL(master.url).port);
  };
  await boot();
  const masterUrl = master!.url.replace(/\/+$/, "");
  const admin = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${masterUrl}/api/v2${path}`, {
      method,
      headers: {
        authorization: `Bearer ${ADMIN_TOKEN}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok)
      throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  const { key } = await admin<{ key: string }>("POST", "/keys", { name: "agent-tests" });
  return {
    sandbox,
    database,
    masterUrl,
    port,
    agentKey: key,
    admin,
    async stopMaster() {
      await master?.close();
      master = undefined;
    },
    async startMaster() {
      await boot();
    },
    ingress(tunnelId) {
      const config = sandbox.state.configurations.get(tunnelId)?.config;
      return ((config?.ingress ?? []) as { hostname?: string; service: string }[]).filter(
        (r) => r.hostname !== undefined && r.hostname !== "" && r.hostname !== "*",
      );
    },
    cname(hostname) {
      return [...sandbox.state.dnsRecords.values()].find(
        (r) => r.type === "CNAME" && r.name === hostname,
      );
    },
    async tunnelToken(tunnelId) {
      const response = await sandbox.fetch(
        `http://x/client/v4/accounts/${sandbox.accountId}/cfd_tunnel/${tunnelId}/token`,
        { headers: { authorization: `Bearer ${sandbox.token}` } },
      );
      return ((await response.json()) as { result: string }).result;
    },
    async close() {
      await master?.close();
      await database.drop();
    },
  };
}
