import { type CloudflareSandbox, createCloudflareSandbox } from "@dockflow/cloudflare-sandbox";
import { createTestDatabase, type TestDatabase } from "@dockflow/testkit";
import pino from "pino";
import { type CloudflareGatewayOptions, createCloudflareGateway } from "../cloudflare/index.ts";
import { parseConfig } from "../config.ts";
import { type Master, type RunningMaster, runMaster } from "../main.ts";

/** Test-only helpers: a controllable clock and a master on PGlite or PostgreSQL with a Cloudflare stand-in. */

export const ADMIN_TOKEN = "test-admin-token-0123456789abcdef";

export class TestClock {
  private current: number;
  constructor(start = "2024-01-15T10:30:00.000Z") {
    this.current = Date.parse(start);
  }
  readonly now = (): Date => new Date(this.current);
  advance(ms: number): void {
    this.current += ms;
  }
  advanceSeconds(seconds: number): void {
    this.advance(seconds * 1000);
  }
}

export type DatabaseChoice = "pglite" | "postgres";
export const DATABASES: DatabaseChoice[] = ["pglite", "postgres"];

export interface TestDatabaseHandle {
  env: Record<string, string>;
  drop(): Promise<void>;
}

/** An empty database: an in-memory PGlite, or a fresh database on TEST_DATABASE_URL. */
export async function testDatabase(choice: DatabaseChoice): Promise<TestDatabaseHandle> {
  if (choice === "pglite") return { env: { DATA_DIR: "memory://" }, drop: async () => {} };
  const db: TestDatabase = await createTestDatabase("dockflow_master");
  return { env: { DATABASE_URL: db.url }, drop: () => db.drop() };
}

export interface TestMaster {
  url: string;
  master: Master;
  running: RunningMaster;
  sandbox: CloudflareSandbox;
  clock: TestClock;
  /** fetch against the master's API (`/api/v2` prefixed). */
  api(path: string, init?: RequestInit & { token?: string; json?: unknown }): Promise<Response>;
  /** As `api`, with the admin token. */
  admin(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  issueKey(name?: string, secret?: string): Promise<string>;
  /** Issues a key and registers an agent with it; returns its id and key. */
  registerAgent(body?: Record<string, unknown>): Promise<{ agentId: string; key: string }>;
  /** Polls the agent's commands (acknowledging each) until `until` accepts one; returns it. */
  nextCommand(
    agent: { agentId: string; key: string },
    until?: (command: Record<string, unknown>) => boolean,
  ): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

export interface TestMasterOptions {
  database?: DatabaseChoice;
  /** Reuse a database (restart tests); otherwise a fresh one is made and dropped on close. */
  databaseEnv?: Record<string, string>;
  env?: Record<string, string>;
  clock?: TestClock;
  sandbox?: CloudflareSandbox;
  /** Where logs go (default: silent, or TEST_LOG_LEVEL). */
  logger?: pino.Logger;
  /** Start the background loops (startup reconcile, sweep). Default false: tests drive them. */
  background?: boolean;
}

export async function startTestMaster(options: TestMasterOptions = {}): Promise<TestMaster> {
  const clock = options.clock ?? new TestClock();
  const sandbox = options.sandbox ?? createCloudflareSandbox({ zones: ["example.com"] });
  const database = options.databaseEnv
    ? { env: options.databaseEnv, drop: async () => {} }
    : await testDatabase(options.database ?? "pglite");
  const logger = options.logger ?? pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
  const config = parseConfig({
    PORT: "0",
    MASTER_ADMIN_TOKEN: ADMIN_TOKEN,
    ...database.env,
    ...options.env,
  });
  const gateway = (hooks: Pick<CloudflareGatewayOptions, "onRequest">) =>
    createCloudflareGateway({
      ...hooks,
      apiToken: sandbox.token,
      accountId: sandbox.accountId,
      baseURL: sandbox.baseURL,
      fetch: sandbox.fetch as typeof fetch,
      logger,
      retry: { baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 1_000 },
    });
  const running = await runMaster(config, { clock: clock.now, gateway, logger });
  if (!options.background) await running.master.sweeper.stop();
  const api: TestMaster["api"] = (path, init = {}) => {
    const { token, json, headers, ...rest } = init;
    const h = new Headers(headers);
    if (token) h.set("authorization", `Bearer ${token}`);
    if (json !== undefined) h.set("content-type", "application/json");
    return fetch(`${running.url}/api/v2${path}`, {
      ...rest,
      headers: h,
      ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
    });
  };
  const admin: TestMaster["admin"] = (path, init = {}) =>
    api(path, { ...init, token: ADMIN_TOKEN });
  const issueKey = async (name = "test", secret?: string) =>
    (await running.master.keys.issue(name, secret)).key;
  return {
    url: running.url,
    master: running.master,
    running,
    sandbox,
    clock,
    api,
    admin,
    issueKey,
    async registerAgent(body = {}) {
      const key = await issueKey();
      const response = await api("/agents/register", {
        method: "POST",
        token: key,
        json: { display_name: "agent", version: "2.0.0", mode: "standalone", ...body },
      });
      if (response.status !== 200)
        throw new Error(`register: ${response.status} ${await response.text()}`);
      const { agent_id } = (await response.json()) as { agent_id: string };
      return { agentId: agent_id, key };
    },
    async nextCommand(agent, until = () => true) {
      for (let i = 0; i < 20; i++) {
        const response = await api(`/agents/${agent.agentId}/commands?wait=10`, {
          token: agent.key,
        });
        const { commands } = (await response.json()) as { commands: Record<string, unknown>[] };
        for (const command of commands) {
          await api(`/agents/${agent.agentId}/events`, {
            method: "POST",
            token: agent.key,
            json: { type: "command_result", command_id: command.id, success: true },
          });
          if (until(command)) return command;
        }
      }
      throw new Error("the expected command never came");
    },
    async close() {
      await running.close();
      await database.drop();
    },
  };
}
