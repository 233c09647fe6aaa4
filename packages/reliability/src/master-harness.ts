import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import {
  type CloudflareSandbox,
  createCloudflareSandbox,
  type ListeningSandbox,
} from "@dockflow/cloudflare-sandbox";
import { startMaster } from "@dockflow/master";
import { ApiError } from "@dockflow/protocol";
import { createTestDatabase, type TestDatabase, waitFor } from "@dockflow/testkit";
import pino from "pino";

/** The repository root (this file is packages/reliability/src/master-harness.ts). */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "../../..");

export const SANDBOX_ZONES = ["example.com", "example.org"];

/** Every log line a logger wrote (JSON lines), to scan for secrets and errors. */
export class LogCapture {
  readonly lines: string[] = [];
  readonly logger: pino.Logger;
  constructor(level = "info") {
    const lines = this.lines;
    const stream = new Writable({
      write(chunk, _encoding, callback) {
        lines.push(String(chunk));
        callback();
      },
    });
    this.logger = pino({ level }, stream);
  }
  text(): string {
    return this.lines.join("");
  }
}

/** A fresh admin token per master: long, random and recognisable in a scan. */
export function adminToken(): string {
  return `admintok-${randomBytes(24).toString("hex")}`;
}

/** A free loopback port (listen on 0, read it, close). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface SandboxHandle {
  sandbox: CloudflareSandbox;
  listening: ListeningSandbox;
  /** The master's Cloudflare variables for this stand-in. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/** The Cloudflare stand-in over HTTP on loopback (no rate limit unless asked). */
export async function startSandbox(
  options: { rateLimit?: false | { limit: number; windowMs: number } } = {},
): Promise<SandboxHandle> {
  const sandbox = createCloudflareSandbox({
    zones: SANDBOX_ZONES,
    rateLimit: options.rateLimit ?? false,
  });
  const listening = await sandbox.listen({ port: 0, host: "127.0.0.1" });
  return {
    sandbox,
    listening,
    env: {
      CLOUDFLARE_API_TOKEN: sandbox.token,
      CLOUDFLARE_ACCOUNT_ID: sandbox.accountId,
      CLOUDFLARE_BASE_URL: listening.url,
    },
    close: () => listening.close(),
  };
}

/** The master's environment for a test: loopback, a test database, generous rate limits. */
export function masterEnv(options: {
  databaseUrl: string;
  adminToken: string;
  cloudflare: Record<string, string>;
  port?: number;
  extra?: Record<string, string>;
}): Record<string, string> {
  return {
    HOST: "127.0.0.1",
    PORT: String(options.port ?? 0),
    DATABASE_URL: options.databaseUrl,
    MASTER_ADMIN_TOKEN: options.adminToken,
    ...options.cloudflare,
    REGISTER_RATE_LIMIT_PER_MINUTE: "1000000",
    AUTH_FAILURE_LIMIT_PER_MINUTE: "1000000",
    // The reconciler runs when a test asks (POST /reconcile) or when rules change.
    RECONCILE_INTERVAL_SECONDS: "3600",
    LOG_LEVEL: "info",
    ...options.extra,
  };
}

export interface TestMaster {
  url: string;
  admin: string;
  db: TestDatabase;
  cf: SandboxHandle;
  logs: LogCapture;
  client: MasterClient;
  close(): Promise<void>;
}

/** A master in this process, on its own database, driving its own Cloudflare stand-in. */
export async function startTestMaster(
  options: { extra?: Record<string, string>; db?: TestDatabase } = {},
): Promise<TestMaster> {
  const db = options.db ?? (await createTestDatabase("dockflow_rel"));
  const cf = await startSandbox();
  const admin = adminToken();
  const logs = new LogCapture("info");
  const env = masterEnv({
    databaseUrl: db.url,
    adminToken: admin,
    cloudflare: cf.env,
    ...(options.extra ? { extra: options.extra } : {}),
  });
  const master = await startMaster(env, { logger: logs.logger });
  return {
    url: master.url,
    admin,
    db,
    cf,
    logs,
    client: new MasterClient(master.url, admin),
    async close() {
      await master.close();
      await cf.close();
      await db.drop();
    },
  };
}

export interface Reply {
  status: number;
  text: string;
  /** The parsed body, or undefined when it is not JSON. */
  json: unknown;
}

/** Raw HTTP against the master: the body is sent as given (string or bytes), nothing is checked. */
export class MasterClient {
  /** Every response body seen, except the key-issue responses (which carry a key on purpose). */
  readonly bodies: string[] = [];
  /** Whether to keep response bodies in `bodies` (off for fuzzing, which sends thousands). */
  record = true;

  constructor(
    readonly url: string,
    readonly admin: string,
  ) {}

  async request(
    method: string,
    path: string,
    options: {
      token?: string | undefined;
      body?: string | Uint8Array | undefined;
      json?: unknown;
      headers?: Record<string, string>;
      signal?: AbortSignal;
    } = {},
  ): Promise<Reply> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    let body: string | Uint8Array | undefined = options.body;
    if (options.json !== undefined) body = JSON.stringify(options.json);
    if (
      body !== undefined &&
      !Object.keys(headers).some((h) => h.toLowerCase() === "content-type")
    ) {
      headers["content-type"] = "application/json";
    }
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const text = await response.text();
    const isKeyIssue = method === "POST" && path === "/api/v2/keys" && response.status === 201;
    if (!isKeyIssue && this.record) this.bodies.push(text);
    let json: unknown;
    try {
      json = text === "" ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, text, json };
  }

  async ok<T = Record<string, unknown>>(
    method: string,
    path: string,
    options: Parameters<MasterClient["request"]>[2] = {},
  ): Promise<T> {
    const reply = await this.request(method, path, { token: this.admin, ...options });
    if (reply.status >= 300) {
      throw new Error(`${method} ${path}: ${reply.status} ${reply.text.slice(0, 500)}`);
    }
    return reply.json as T;
  }

  /** Issues a key (admin). */
  async issueKey(name = "rel"): Promise<{ id: string; key: string }> {
    return this.ok("POST", "/api/v2/keys", { json: { name } });
  }

  /** Issues a key and registers an agent with it. */
  async newAgent(
    name = `agent-${randomBytes(3).toString("hex")}`,
  ): Promise<{ agentId: string; key: string; keyId: string }> {
    const issued = await this.issueKey(name);
    const reply = await this.request("POST", "/api/v2/agents/register", {
      token: issued.key,
      json: { display_name: name, version: "1.0.0", mode: "standalone" },
    });
    if (reply.status !== 200) throw new Error(`register: ${reply.status} ${reply.text}`);
    return {
      agentId: (reply.json as { agent_id: string }).agent_id,
      key: issued.key,
      keyId: issued.id,
    };
  }

  async healthy(): Promise<boolean> {
    const reply = await this.request("GET", "/api/v2/health");
    return reply.status === 200;
  }
}

/** Whether a reply is a 4xx carrying the documented `ApiError` body. */
export function isDocumentedClientError(reply: Reply): boolean {
  return reply.status >= 400 && reply.status < 500 && ApiError.safeParse(reply.json).success;
}

/** Everything the operator can read, serialised, minus timestamps that move by themselves. */
export async function masterSnapshot(client: MasterClient): Promise<string> {
  const [agents, tunnels, rules, keys] = await Promise.all([
    client.ok<{ agents: Record<string, unknown>[] }>("GET", "/api/v2/agents"),
    client.ok("GET", "/api/v2/tunnels"),
    client.ok("GET", "/api/v2/rules"),
    client.ok<{ keys: Record<string, unknown>[] }>("GET", "/api/v2/keys"),
  ]);
  const stripAgent = ({ last_heartbeat: _h, status: _s, ...rest }: Record<string, unknown>) => rest;
  const stripKey = ({ last_used_at: _u, ...rest }: Record<string, unknown>) => rest;
  return JSON.stringify({
    agents: agents.agents.map(stripAgent),
    tunnels,
    rules,
    keys: keys.keys.map(stripKey),
  });
}

/** Tunnels, configurations and DNS records of the Cloudflare stand-in, serialised. */
export function cloudflareSnapshot(sandbox: CloudflareSandbox): string {
  const { tunnels, configurations, dnsRecords } = sandbox.state;
  return JSON.stringify({
    tunnels: [...tunnels.values()].map((t) => ({ id: t.id, name: t.name, deleted: t.deleted_at })),
    configurations: [...configurations.values()].map((c) => ({
      tunnel: c.tunnel_id,
      version: c.version,
      config: c.config,
    })),
    dns: [...dnsRecords.values()].map((r) => ({ name: r.name, type: r.type, content: r.content })),
  });
}

/** Ingress hostnames (all tunnels) and DNS names in the stand-in. */
export function cloudflareNames(sandbox: CloudflareSandbox): {
  ingress: string[];
  dns: string[];
} {
  const ingress: string[] = [];
  for (const configuration of sandbox.state.configurations.values()) {
    for (const rule of configuration.config?.ingress ?? []) {
      if (rule.hostname) ingress.push(rule.hostname);
    }
  }
  return { ingress, dns: [...sandbox.state.dnsRecords.values()].map((r) => r.name) };
}

let gcFunction: (() => void) | undefined;

/** Runs a full garbage collection (exposes `gc` at run time if the process started without it). */
export function collectGarbage(): void {
  if (!gcFunction) {
    setFlagsFromString("--expose-gc");
    gcFunction = runInNewContext("gc") as () => void;
  }
  gcFunction();
  gcFunction();
}

/** Heap in use after a full collection, in bytes. */
export function heapAfterGc(): number {
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

export interface ServiceProcess {
  child: ChildProcess;
  /** stdout and stderr lines so far. */
  lines: string[];
  exited: Promise<number | null>;
  /** Sends a signal and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Runs `apps/<app>/src/main.ts` as a child process (the real composition root and logger). */
export function spawnService(app: "master" | "agent", env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: join(REPO_ROOT, "apps", app),
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const collect = (stream: NodeJS.ReadableStream | null) => {
    let rest = "";
    stream?.setEncoding("utf8");
    stream?.on("data", (chunk: string) => {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop() ?? "";
      lines.push(...parts);
    });
    stream?.on("end", () => {
      if (rest) lines.push(rest);
    });
  };
  collect(child.stdout);
  collect(child.stderr);
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => resolve(code)),
  );
  return {
    child,
    lines,
    exited,
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/** Waits until a master answers its health probe. */
export async function waitHealthy(url: string, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    async () => {
      const response = await fetch(`${url}/api/v2/health`);
      await response.text();
      return response.status === 200;
    },
    { timeoutMs, message: `master at ${url} healthy` },
  );
}

/** p50/p90/p99/max of a list of durations (ms). */
export function percentiles(values: number[]): {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
} {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return {
    count: sorted.length,
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    max: sorted[sorted.length - 1] ?? 0,
  };
}
