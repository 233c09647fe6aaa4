import type { Context, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import type { Kysely } from "kysely";
import type { Database, SessionRow } from "../db/schema.ts";
import { HttpError } from "../http/errors.ts";
import type { AppEnv } from "../http/types.ts";
import { type AgentPrincipal, resolveAgentKey } from "./agent-keys.ts";
import type { AgentKeyCache } from "./key-cache.ts";
import type { RateLimiter } from "./rate-limiter.ts";
import { bearerToken, secretsEqual } from "./secrets.ts";

/** The console's session cookie (HttpOnly, SameSite=Strict). */
export const SESSION_COOKIE = "dockflow_session";
/** The header a cookie-authenticated state-changing request carries its CSRF token in. */
const CSRF_HEADER = "x-csrf-token";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** What the guards need of the sessions (services/sessions.ts). */
export interface SessionLookup {
  find(sessionId: string): Promise<SessionRow | undefined>;
  csrfMatches(session: SessionRow, header: string | undefined): boolean;
}

export interface GuardOptions {
  db: Kysely<Database>;
  /** Agent key lookups, cached until a key changes. */
  keyCache: AgentKeyCache;
  adminToken: string;
  /** Failed authentications per client address. */
  authFailures: RateLimiter;
  /** Registrations per client address. */
  registrations: RateLimiter;
  /** Take the client address from X-Forwarded-For (behind a trusted reverse proxy). */
  trustProxy: boolean;
  /** The console's cookie sessions (admin role). */
  sessions: SessionLookup;
}

function rateLimited(retryAfter: number, what: string) {
  return new HttpError(429, "rate_limited", `too many ${what}; retry later`, {
    retry_after: retryAfter,
  });
}

/**
 * The client address that rate limits count: the first X-Forwarded-For entry behind a trusted
 * proxy, otherwise the socket's peer.
 */
export function clientAddress(
  forwardedFor: string | undefined,
  remoteAddress: string | undefined,
  trustProxy: boolean,
): string {
  const forwarded = trustProxy ? forwardedFor?.split(",")[0]?.trim() : undefined;
  return forwarded || remoteAddress || "unknown";
}

/** Why an agent key may not act for `agentId`, or undefined when it may. */
export function agentAccessProblem(boundAgentId: string | null, agentId: string) {
  if (boundAgentId === null) return "this key is not bound to an agent yet: register first";
  if (boundAgentId !== agentId) return "an agent may only use its own events and commands";
  return undefined;
}

/** Builds the authentication and authorization middlewares of the API. */
export function createGuards(options: GuardOptions) {
  const clientIp = (c: Context<AppEnv>): string =>
    clientAddress(
      c.req.header("x-forwarded-for"),
      c.env?.incoming?.socket?.remoteAddress,
      options.trustProxy,
    );

  const checkNotBlocked = (ip: string) => {
    const state = options.authFailures.blocked(ip);
    if (state.blocked) throw rateLimited(state.retryAfter, "failed authentications");
  };

  const unauthorized = (ip: string, message: string) => {
    options.authFailures.hit(ip);
    return new HttpError(401, "unauthorized", message);
  };

  const isAdmin = (token: string) => secretsEqual(token, options.adminToken);

  /** The agent behind a key; 401 without one or with a revoked or unknown one. */
  const agentPrincipal = async (c: Context<AppEnv>): Promise<AgentPrincipal> => {
    const ip = clientIp(c);
    checkNotBlocked(ip);
    const token = bearerToken(c.req.header("authorization"));
    if (!token) throw unauthorized(ip, "an agent key is required (Authorization: Bearer <key>)");
    const principal = await resolveAgentKey(options.db, token, options.keyCache);
    if (!principal) throw unauthorized(ip, "unknown or revoked agent key");
    return principal;
  };

  const ownAgent = (principal: AgentPrincipal, agentId: string) => {
    const problem = agentAccessProblem(principal.agentId, agentId);
    if (problem) throw new HttpError(403, "forbidden", problem);
  };

  /** The live session of the request's cookie, if any (not counted as a failure when stale). */
  const cookieSession = async (c: Context<AppEnv>): Promise<SessionRow | undefined> => {
    const id = getCookie(c, SESSION_COOKIE);
    if (!id || id.length > 256) return undefined;
    return options.sessions.find(id);
  };

  /** A cookie-authenticated request that changes state must carry the session's CSRF token. */
  const checkCsrf = (c: Context<AppEnv>, session: SessionRow) => {
    if (SAFE_METHODS.has(c.req.method)) return;
    if (!options.sessions.csrfMatches(session, c.req.header(CSRF_HEADER))) {
      throw new HttpError(
        403,
        "forbidden",
        "a request signed in by the session cookie must carry its X-CSRF-Token header",
      );
    }
  };

  /** Requests without a bearer token: the console's session cookie (+ CSRF check), or 401. */
  const sessionOr401 = async (c: Context<AppEnv>, ip: string): Promise<void> => {
    const session = await cookieSession(c);
    if (!session) {
      throw unauthorized(
        ip,
        "the admin token (Authorization: Bearer <token>) or a console session is required",
      );
    }
    checkCsrf(c, session);
    c.set("session", session);
  };

  /** `GET`/`DELETE /session`: the console's own session (a bearer token is not a session). */
  const session: MiddlewareHandler<AppEnv> = async (c, next) => {
    const found = await cookieSession(c);
    if (!found) throw new HttpError(401, "unauthorized", "not signed in (no live session)");
    checkCsrf(c, found);
    c.set("session", found);
    await next();
  };

  /** `POST /session`: the admin token from the body; a wrong one counts as a failed authentication. */
  const signIn = (c: Context<AppEnv>) => {
    const ip = clientIp(c);
    checkNotBlocked(ip);
    return { failed: () => unauthorized(ip, "invalid admin token") };
  };

  /** Whether the request came over TLS (directly, or through a trusted proxy that says so). */
  const overHttps = (c: Context<AppEnv>): boolean => {
    if (options.trustProxy) {
      const proto = c.req.header("x-forwarded-proto")?.split(",")[0]?.trim().toLowerCase();
      if (proto) return proto === "https";
    }
    return new URL(c.req.url).protocol === "https:";
  };

  /**
   * Operator routes: the admin token, or a console session. An agent key gets 403, anything else
   * 401.
   */
  const admin: MiddlewareHandler<AppEnv> = async (c, next) => {
    const ip = clientIp(c);
    checkNotBlocked(ip);
    const token = bearerToken(c.req.header("authorization"));
    if (!token) {
      await sessionOr401(c, ip);
      await next();
      return;
    }
    if (!isAdmin(token)) {
      if (await resolveAgentKey(options.db, token, options.keyCache)) {
        throw new HttpError(403, "forbidden", "this route is for operators (admin token)");
      }
      throw unauthorized(ip, "invalid admin token");
    }
    await next();
  };

  /** `POST /agents/register`: any live key, rate limited per client address. */
  const registration: MiddlewareHandler<AppEnv> = async (c, next) => {
    const state = options.registrations.hit(clientIp(c));
    if (!state.allowed) throw rateLimited(state.retryAfter, "registrations");
    c.set("principal", await agentPrincipal(c));
    await next();
  };

  /** `/agents/{id}/...` for the agent itself: its own bound key. */
  const agent: MiddlewareHandler<AppEnv> = async (c, next) => {
    const principal = await agentPrincipal(c);
    ownAgent(principal, c.req.param("id") ?? "");
    c.set("principal", principal);
    await next();
  };

  /** The admin token or a console session, or the agent's own key (seed 5.3: an agent enqueues for itself). */
  const adminOrAgent: MiddlewareHandler<AppEnv> = async (c, next) => {
    const token = bearerToken(c.req.header("authorization"));
    if (token && isAdmin(token)) {
      checkNotBlocked(clientIp(c));
      await next();
      return;
    }
    if (!token) {
      const ip = clientIp(c);
      checkNotBlocked(ip);
      await sessionOr401(c, ip);
      await next();
      return;
    }
    return agent(c, next);
  };

  return { admin, registration, agent, adminOrAgent, session, signIn, overHttps };
}

export type Guards = ReturnType<typeof createGuards>;
