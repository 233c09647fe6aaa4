import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";

/** The Cloudflare stand-in's fixed credentials (packages/cloudflare-sandbox defaults). */
export const SANDBOX_TOKEN = "dockflow-sandbox-token";
export const SANDBOX_ACCOUNT_ID = "5a4db0c8f1e24b4fa6c1a7e1d0c0ffee";

export interface DevPlan {
  root: string;
  dataDir: string;
  host: string;
  ports: { master: number; flowManager: number; agent: number; sandbox: number; console: number };
  adminToken: string;
  /** How the admin token was found: given in the environment, read from .data, or generated. */
  adminTokenSource: "environment" | "file" | "generated";
  adminTokenFile: string;
  /** The Cloudflare stand-in runs when no CLOUDFLARE_API_TOKEN is configured. */
  sandbox: boolean;
  /** One line per default chosen, printed at start. */
  defaults: string[];
  env: {
    sandbox: NodeJS.ProcessEnv;
    master: NodeJS.ProcessEnv;
    flowManager: NodeJS.ProcessEnv;
    /** Without AGENT_API_KEY: dev.ts issues one once the master answers. */
    agent: NodeJS.ProcessEnv;
    /** The console's Vite dev server (hot reload), proxying /api to the master. */
    console: NodeJS.ProcessEnv;
  };
  agentKeyFile: string;
}

function port(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new Error(`${name} must be a port number (1-65535), not "${raw}"`);
  }
  return value;
}

// Variables every service reads under the same name: dev.ts sets them per service.
const SHARED = ["HOST", "PORT", "DATA_DIR"];
// Secrets a service has no business seeing.
const MASTER_ONLY = ["MASTER_ADMIN_TOKEN", "DATABASE_URL", "CLOUDFLARE_API_TOKEN"];

function without(env: NodeJS.ProcessEnv, names: string[]): NodeJS.ProcessEnv {
  const copy = { ...env };
  for (const name of names) delete copy[name];
  return copy;
}

/**
 * Decides how `pnpm dev` runs each service from the environment, with embedded defaults for what
 * is not configured. Creates the data folders and, when needed, the admin token file.
 *
 * Environment (all optional): DEV_DATA_DIR (.data), DEV_MASTER_PORT (8080),
 * DEV_FLOW_MANAGER_PORT (8000), DEV_AGENT_PORT (8081), DEV_SANDBOX_PORT (8787),
 * DEV_CONSOLE_PORT (5173), and every
 * service's own variables (DATABASE_URL, MASTER_ADMIN_TOKEN, CLOUDFLARE_*, FLOW_*, CLOUDFLARED_*,
 * ...), which are passed through.
 */
export function planDev(root: string, env: NodeJS.ProcessEnv): DevPlan {
  const dataDir = env.DEV_DATA_DIR ? env.DEV_DATA_DIR : join(root, ".data");
  const show = (path: string) => {
    const rel = relative(root, path);
    return rel.startsWith("..") ? path : rel;
  };
  const host = "127.0.0.1";
  const ports = {
    master: port(env, "DEV_MASTER_PORT", 8080),
    flowManager: port(env, "DEV_FLOW_MANAGER_PORT", 8000),
    agent: port(env, "DEV_AGENT_PORT", 8081),
    sandbox: port(env, "DEV_SANDBOX_PORT", 8787),
    console: port(env, "DEV_CONSOLE_PORT", 5173),
  };
  const defaults: string[] = [];
  const base = without(env, SHARED);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });

  // Admin token: given, or persisted in .data (generated on the first run).
  const adminTokenFile = join(dataDir, "master-admin-token");
  let adminToken = env.MASTER_ADMIN_TOKEN ?? "";
  let adminTokenSource: DevPlan["adminTokenSource"] = "environment";
  if (adminToken === "") {
    if (existsSync(adminTokenFile)) {
      adminToken = readFileSync(adminTokenFile, "utf8").trim();
      adminTokenSource = "file";
    } else {
      adminToken = randomBytes(24).toString("base64url");
      writeFileSync(adminTokenFile, `${adminToken}\n`, { mode: 0o600 });
      adminTokenSource = "generated";
    }
  }

  // Master: PostgreSQL when DATABASE_URL is set, else PGlite in .data/master.
  const masterEnv: NodeJS.ProcessEnv = {
    ...base,
    HOST: host,
    PORT: String(ports.master),
    DATA_DIR: join(dataDir, "master"),
    MASTER_ADMIN_TOKEN: adminToken,
  };
  if (!env.DATABASE_URL) {
    defaults.push(`master database: PGlite in ${show(join(dataDir, "master"))} (no DATABASE_URL)`);
  }

  // Cloudflare: the stand-in on loopback unless an API token is configured.
  const sandbox = !env.CLOUDFLARE_API_TOKEN;
  const sandboxEnv: NodeJS.ProcessEnv = {
    ...without(base, MASTER_ONLY),
    CF_SANDBOX_HOST: host,
    CF_SANDBOX_PORT: String(ports.sandbox),
    CF_SANDBOX_TOKEN: SANDBOX_TOKEN,
    CF_SANDBOX_ACCOUNT_ID: SANDBOX_ACCOUNT_ID,
    CF_SANDBOX_ZONES: env.CF_SANDBOX_ZONES ?? "example.com",
  };
  if (sandbox) {
    masterEnv.CLOUDFLARE_API_TOKEN = SANDBOX_TOKEN;
    masterEnv.CLOUDFLARE_ACCOUNT_ID = SANDBOX_ACCOUNT_ID;
    masterEnv.CLOUDFLARE_BASE_URL = `http://${host}:${ports.sandbox}/client/v4`;
  }

  // Flow manager: loopback without a token, flows under .data/flows.
  const flowManagerEnv: NodeJS.ProcessEnv = {
    ...without(base, MASTER_ONLY),
    HOST: host,
    PORT: String(ports.flowManager),
    DATA_DIR: join(dataDir, "flow-manager"),
  };
  if (!env.FLOW_ALLOWED_ROOTS) {
    const flows = join(dataDir, "flows");
    mkdirSync(flows, { recursive: true });
    flowManagerEnv.FLOW_ALLOWED_ROOTS = flows;
    defaults.push(`flow manager allowed roots: ${show(flows)} (no FLOW_ALLOWED_ROOTS)`);
  }
  if (!env.FLOW_SOCKET_ROOT) {
    // Unix socket paths must stay short (<root>/<12 hex>/flow.sock within 100 bytes).
    const local = join(dataDir, "flow-sockets");
    flowManagerEnv.FLOW_SOCKET_ROOT =
      local.length <= 60
        ? local
        : `/tmp/dockflow-dev-${process.getuid?.() ?? "user"}-${randomBytes(3).toString("hex")}`;
  }
  // The browser reaches the flow manager from the console's origin (Vite's, and the master's,
  // which serves the built console too).
  const consoleOrigins = [`http://${host}:${ports.console}`, `http://${host}:${ports.master}`];
  if (!env.FLOW_CORS_ORIGINS) flowManagerEnv.FLOW_CORS_ORIGINS = consoleOrigins.join(",");
  if (!env.MASTER_CONSOLE_FLOW_MANAGER_URL) {
    masterEnv.MASTER_CONSOLE_FLOW_MANAGER_URL = `http://${host}:${ports.flowManager}`;
  }
  if (!env.FLOW_MANAGER_TOKEN) {
    defaults.push("flow manager token: none (listening on loopback only; set FLOW_MANAGER_TOKEN)");
  }

  // Agent: health on its own port, state in .data/agent, key issued through the master.
  const agentEnv: NodeJS.ProcessEnv = {
    ...without(base, MASTER_ONLY),
    MASTER_URL: `http://${host}:${ports.master}`,
    DATA_DIR: join(dataDir, "agent"),
    HEALTH_HOST: host,
    HEALTH_PORT: String(ports.agent),
  };
  const agentKeyFile = join(dataDir, "agent-key.json");
  if (!env.AGENT_API_KEY) {
    defaults.push(
      `agent key: issued through the master's POST /api/v2/keys, kept in ${show(agentKeyFile)}`,
    );
  }

  const consoleEnv: NodeJS.ProcessEnv = {
    ...without(base, MASTER_ONLY),
    CONSOLE_MASTER_URL: `http://${host}:${ports.master}`,
  };

  return {
    root,
    dataDir,
    host,
    ports,
    adminToken,
    adminTokenSource,
    adminTokenFile,
    sandbox,
    defaults,
    env: {
      sandbox: sandboxEnv,
      master: masterEnv,
      flowManager: flowManagerEnv,
      agent: agentEnv,
      console: consoleEnv,
    },
    agentKeyFile,
  };
}
