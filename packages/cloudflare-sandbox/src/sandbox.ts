import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { type Context, Hono } from "hono";
import { apiError, CfApiError, Codes, failure } from "./envelope.ts";
import { registerAccessRoutes } from "./routes/access.ts";
import { registerAccountRoutes } from "./routes/accounts.ts";
import type { RouteDeps, SandboxEnv } from "./routes/common.ts";
import { registerDnsRoutes } from "./routes/dns.ts";
import { noteConnectionChange, registerTunnelRoutes } from "./routes/tunnels.ts";
import { registerZoneRoutes } from "./routes/zones.ts";
import {
  type Connector,
  createState,
  hasLiveConnections,
  type RequestLogEntry,
  type SandboxState,
  stableHexId,
  type TunnelConnection,
  uuid,
  type Zone,
} from "./state.ts";

/** Path prefix of every API route, as in `https://api.cloudflare.com/client/v4`. */
export const API_PREFIX = "/client/v4";
/** Base URL to give the SDK together with `fetch: sandbox.fetch` (the host is never resolved). */
export const IN_PROCESS_BASE_URL = `http://cloudflare-sandbox.invalid${API_PREFIX}`;
export const DEFAULT_ACCOUNT_ID = "5a4db0c8f1e24b4fa6c1a7e1d0c0ffee";
export const DEFAULT_TOKEN = "dockflow-sandbox-token";
export const DEFAULT_ACCESS_TEAM = "dockflow-sandbox";
/** The real budget: 1200 requests per 5 minutes per token. */
export const DEFAULT_RATE_LIMIT: RateLimit = { limit: 1200, windowMs: 5 * 60_000 };
const REQUEST_LOG_LIMIT = 10_000;

export interface RateLimit {
  /** Requests allowed per token and window. */
  limit: number;
  /** Window length; exceeding the budget blocks the token for one window (as the real API). */
  windowMs: number;
}

export interface CloudflareSandboxOptions {
  /** API tokens accepted for every account (default `[DEFAULT_TOKEN]`). */
  tokens?: string[];
  /** Id of the account created at start (default `DEFAULT_ACCOUNT_ID`). */
  accountId?: string;
  /** Zones created in that account (default none). */
  zones?: string[];
  /** Zero Trust team name of every account: `<team>.cloudflareaccess.com` (default `dockflow-sandbox`). */
  accessTeam?: string;
  /** Per-token budget (default 1200 per 5 min); `false` disables it. */
  rateLimit?: RateLimit | false;
  /** Time source in ms (default `Date.now`): timestamps and rate-limit windows use it. */
  clock?: () => number;
  /** Called for every request once answered (method, path, status; never headers or bodies). */
  onRequest?: (entry: RequestLogEntry) => void;
}

export interface FailureInjection {
  /** HTTP status to answer with, e.g. 429, 500, 503. */
  status: number;
  /** How many matching requests fail (default 1). */
  count?: number;
  /**
   * Sets `Retry-After` (seconds). For 429 it defaults to the rate-limit window (300 s like the real
   * API: the SDK then sleeps that long, so pass 0 or a small value in tests).
   */
  retryAfterSeconds?: number;
  /** Error code in the envelope (default 971 for 429, 10000 for 401/403, 10001 otherwise). */
  code?: number;
  message?: string;
  /** Which requests fail; `path` is below `/client/v4`, without query (default: any request). */
  match?: (method: string, path: string) => boolean;
}

export interface ConnectionInput {
  id?: string;
  colo_name?: string;
  origin_ip?: string;
  opened_at?: string;
}

export interface ConnectorInput {
  id?: string;
  arch?: string;
  version?: string;
  run_at?: string;
  features?: string[];
  /** Edge connections of this connector: a count (default 4, as cloudflared) or details. */
  conns?: number | ConnectionInput[];
}

export interface ListenOptions {
  /** Default 0: any free port. */
  port?: number;
  /** Default `127.0.0.1`. */
  host?: string;
}

export interface ListeningSandbox {
  /** Base URL ending in `/client/v4`, for the SDK's `baseURL` or `CLOUDFLARE_BASE_URL`. */
  url: string;
  port: number;
  close(): Promise<void>;
}

export type SandboxFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface CloudflareSandbox {
  /** The Hono app (routes live under `/client/v4`). */
  app: Hono;
  /** fetch-compatible entry point for the SDK's `fetch` option (any host; path decides). */
  fetch: SandboxFetch;
  /** Live state: accounts, zones, tunnels, configurations, DNS records, tokens, request log. */
  state: SandboxState;
  /** The default account id. */
  accountId: string;
  /** The first accepted token. */
  token: string;
  /** `IN_PROCESS_BASE_URL`, to pair with `fetch`. */
  baseURL: string;
  addAccount(id: string, name?: string): void;
  addZone(zone: { name: string; account_id?: string }): Zone;
  addToken(token: string, grant?: { accounts?: string[] }): void;
  /** Replaces the live connectors of a tunnel: a count or details; `[]`/0 disconnects it. */
  setConnections(tunnelId: string, connectors: number | ConnectorInput[]): Connector[];
  /** Makes the next matching requests fail. Injections queue in order. */
  failNext(injection: FailureInjection): void;
  /** Changes the per-token budget (`false` disables it) and resets the counters. */
  setRateLimit(rateLimit: RateLimit | false): void;
  /** The request log entries matching `method` and `path` (a string or a RegExp). */
  requests(filter?: { method?: string; path?: string | RegExp }): RequestLogEntry[];
  listen(options?: ListenOptions): Promise<ListeningSandbox>;
}

interface Bucket {
  windowStart: number;
  count: number;
  blockedUntil: number;
}

interface PendingFailure extends FailureInjection {
  remaining: number;
}

const COLOS = ["ams01", "fra08", "lhr01", "cdg02"];

function defaultFailureCode(status: number): number {
  if (status === 429) return Codes.rateLimited;
  if (status === 401 || status === 403) return Codes.authenticationError;
  return Codes.internalError;
}

function defaultFailureMessage(status: number): string {
  if (status === 429) return "Please wait and consider throttling your request speed";
  if (status === 401 || status === 403) return "Authentication error";
  return "Internal Server Error";
}

export function createCloudflareSandbox(options: CloudflareSandboxOptions = {}): CloudflareSandbox {
  const clock = options.clock ?? Date.now;
  const now = () => new Date(clock()).toISOString();
  const state = createState();
  const deps: RouteDeps = { state, now };
  let rateLimit: RateLimit | false = options.rateLimit ?? DEFAULT_RATE_LIMIT;
  const buckets = new Map<string, Bucket>();
  const failures: PendingFailure[] = [];

  const team = options.accessTeam ?? DEFAULT_ACCESS_TEAM;
  const addAccount = (id: string, name = `Sandbox account ${id.slice(0, 8)}`) => {
    if (state.accounts.has(id)) return;
    const at = now();
    state.accounts.set(id, { id, name, created_on: at });
    state.accessOrganizations.set(id, {
      name: `${team} team`,
      auth_domain: `${team}.cloudflareaccess.com`,
      created_at: at,
      updated_at: at,
    });
  };

  const addToken = (token: string, grant: { accounts?: string[] } = {}) => {
    state.tokens.set(token, grant.accounts ? { accounts: [...grant.accounts] } : {});
  };

  const accountId = options.accountId ?? DEFAULT_ACCOUNT_ID;
  addAccount(accountId);
  const tokens = options.tokens?.length ? options.tokens : [DEFAULT_TOKEN];
  for (const token of tokens) addToken(token);

  const addZone = ({ name, account_id = accountId }: { name: string; account_id?: string }) => {
    const zoneName = name.trim().toLowerCase().replace(/\.$/, "");
    if (!state.accounts.has(account_id)) throw new Error(`unknown account ${account_id}`);
    for (const zone of state.zones.values()) {
      if (zone.name === zoneName && zone.account_id === account_id) return zone;
    }
    const at = now();
    const zone: Zone = {
      id: stableHexId(`${account_id}/${zoneName}`),
      name: zoneName,
      account_id,
      status: "active",
      created_on: at,
      modified_on: at,
      activated_on: at,
    };
    state.zones.set(zone.id, zone);
    return zone;
  };
  for (const zone of options.zones ?? []) addZone({ name: zone });

  const setConnections = (tunnelId: string, input: number | ConnectorInput[]): Connector[] => {
    const tunnel = state.tunnels.get(tunnelId);
    if (!tunnel) throw new Error(`unknown tunnel ${tunnelId}`);
    const version = state.configurations.get(tunnelId)?.version ?? 0;
    const at = now();
    const inputs: ConnectorInput[] =
      typeof input === "number" ? Array.from({ length: input }, () => ({})) : input;
    const wasLive = hasLiveConnections(tunnel);
    tunnel.connectors = inputs.map((connector) => {
      const id = connector.id ?? uuid();
      const clientVersion = connector.version ?? "2025.8.1";
      const conns = connector.conns ?? 4;
      const connInputs: ConnectionInput[] =
        typeof conns === "number" ? Array.from({ length: conns }, () => ({})) : conns;
      return {
        id,
        arch: connector.arch ?? "linux_amd64",
        version: clientVersion,
        run_at: connector.run_at ?? at,
        config_version: version,
        features: connector.features ?? ["ha-origin", "serialized_headers"],
        conns: connInputs.map((conn, index): TunnelConnection => {
          const connId = conn.id ?? uuid();
          return {
            id: connId,
            uuid: connId,
            client_id: id,
            client_version: clientVersion,
            colo_name: conn.colo_name ?? COLOS[index % COLOS.length] ?? "ams01",
            is_pending_reconnect: false,
            opened_at: conn.opened_at ?? at,
            origin_ip: conn.origin_ip ?? "203.0.113.10",
          };
        }),
      };
    });
    noteConnectionChange(tunnel, wasLive, at);
    return tunnel.connectors;
  };

  // ---- HTTP ---------------------------------------------------------------------------------

  const app = new Hono();
  const api = new Hono<SandboxEnv>();

  app.use("*", async (c, next) => {
    const url = new URL(c.req.url);
    const path = url.pathname.startsWith(`${API_PREFIX}/`)
      ? url.pathname.slice(API_PREFIX.length)
      : url.pathname;
    const entry: RequestLogEntry = {
      method: c.req.method,
      path,
      query: url.search.replace(/^\?/, ""),
      status: 0,
      at: clock(),
    };
    state.requests.push(entry);
    if (state.requests.length > REQUEST_LOG_LIMIT) state.requests.shift();
    await next();
    entry.status = c.res.status;
    options.onRequest?.(entry);
  });

  // Failure injection comes first: it stands for the edge failing before anything else.
  app.use("*", async (c, next) => {
    const method = c.req.method;
    const path = new URL(c.req.url).pathname.replace(/^\/client\/v4(?=\/)/, "");
    const index = failures.findIndex((failure) => !failure.match || failure.match(method, path));
    const injected = failures[index];
    if (injected) {
      injected.remaining -= 1;
      if (injected.remaining <= 0) failures.splice(index, 1);
      const headers: Record<string, string> = {};
      const retryAfter =
        injected.retryAfterSeconds ??
        (injected.status === 429 && rateLimit ? Math.ceil(rateLimit.windowMs / 1000) : undefined);
      if (retryAfter !== undefined) headers["Retry-After"] = String(retryAfter);
      throw new CfApiError(
        injected.status,
        {
          code: injected.code ?? defaultFailureCode(injected.status),
          message: injected.message ?? defaultFailureMessage(injected.status),
        },
        headers,
      );
    }
    await next();
  });

  api.use("*", async (c, next) => {
    const match = /^Bearer ([^\s]+)$/.exec(c.req.header("authorization") ?? "");
    if (!match?.[1]) {
      throw new CfApiError(400, {
        code: Codes.invalidRequestHeaders,
        message: "Invalid request headers",
        error_chain: [
          {
            code: Codes.invalidAuthorizationFormat,
            message: "Invalid format for Authorization header",
          },
        ],
      });
    }
    const token = match[1];
    if (!state.tokens.has(token)) {
      throw apiError(403, Codes.authenticationError, "Authentication error");
    }
    c.set("token", token);
    await next();
  });

  api.use("*", async (c, next) => {
    if (!rateLimit) return next();
    const { limit, windowMs } = rateLimit;
    const token = c.get("token");
    const at = clock();
    let bucket = buckets.get(token);
    if (!bucket || at - bucket.windowStart >= windowMs) {
      bucket = { windowStart: at, count: 0, blockedUntil: bucket?.blockedUntil ?? 0 };
      buckets.set(token, bucket);
    }
    const policy = `"default";q=${limit};w=${Math.ceil(windowMs / 1000)}`;
    const blocked = (retryAfterMs: number) => {
      const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
      return new CfApiError(
        429,
        { code: Codes.rateLimited, message: defaultFailureMessage(429) },
        {
          "Retry-After": String(seconds),
          Ratelimit: `"default";r=0;t=${seconds}`,
          "Ratelimit-Policy": policy,
        },
      );
    };
    if (bucket.blockedUntil > at) throw blocked(bucket.blockedUntil - at);
    bucket.count += 1;
    if (bucket.count > limit) {
      // Exceeding the budget blocks every call of this token for a whole window.
      bucket.blockedUntil = at + windowMs;
      bucket.windowStart = at + windowMs;
      bucket.count = 0;
      throw blocked(windowMs);
    }
    const reset = Math.max(0, Math.ceil((bucket.windowStart + windowMs - at) / 1000));
    c.header("Ratelimit", `"default";r=${limit - bucket.count};t=${reset}`);
    c.header("Ratelimit-Policy", policy);
    await next();
  });

  registerAccountRoutes(api, deps);
  registerZoneRoutes(api, deps);
  registerDnsRoutes(api, deps);
  registerTunnelRoutes(api, deps);
  registerAccessRoutes(api, deps);

  app.route(API_PREFIX, api);

  const onError = (error: Error, c: Context) =>
    failure(
      c,
      error instanceof CfApiError
        ? error
        : apiError(500, Codes.internalError, "Internal Server Error"),
    );
  app.onError(onError);
  api.onError(onError);
  app.notFound((c) => failure(c, apiError(404, Codes.noRoute, "No route for that URI")));

  const fetch: SandboxFetch = async (input, init) => app.fetch(new Request(input, init));

  return {
    app,
    fetch,
    state,
    accountId,
    token: tokens[0] ?? DEFAULT_TOKEN,
    baseURL: IN_PROCESS_BASE_URL,
    addAccount,
    addZone,
    addToken,
    setConnections,
    failNext(injection) {
      const count = injection.count ?? 1;
      if (count > 0) failures.push({ ...injection, remaining: count });
    },
    setRateLimit(next) {
      rateLimit = next;
      buckets.clear();
    },
    requests(filter = {}) {
      return state.requests.filter(
        (entry) =>
          (filter.method === undefined || entry.method === filter.method.toUpperCase()) &&
          (filter.path === undefined ||
            (typeof filter.path === "string"
              ? entry.path === filter.path
              : filter.path.test(entry.path))),
      );
    },
    listen({ port = 0, host = "127.0.0.1" } = {}) {
      return new Promise<ListeningSandbox>((resolve, reject) => {
        const server = serve(
          { fetch: app.fetch, port, hostname: host, overrideGlobalObjects: false },
          (info: AddressInfo) => {
            server.off("error", reject);
            const urlHost =
              host === "0.0.0.0" || host === "::"
                ? "127.0.0.1"
                : host.includes(":")
                  ? `[${host}]`
                  : host;
            resolve({
              url: `http://${urlHost}:${info.port}${API_PREFIX}`,
              port: info.port,
              close: () =>
                new Promise<void>((done, fail) => {
                  server.close((error) => (error ? fail(error) : done()));
                  if ("closeAllConnections" in server) server.closeAllConnections();
                }),
            });
          },
        );
        server.once("error", reject);
      });
    },
  };
}
