import type { Context, Hono } from "hono";
import type { z } from "zod";
import { apiError, CfApiError, Codes } from "../envelope.ts";
import { describeIssues } from "../schemas.ts";
import { type Account, isHexId, type SandboxState, type Zone } from "../state.ts";

/** Hono environment of the API: the auth middleware stores the caller's token. */
export type SandboxEnv = { Variables: { token: string } };
export type SandboxApp = Hono<SandboxEnv>;
export type SandboxContext = Context<SandboxEnv>;

/** What route modules need from the sandbox. */
export interface RouteDeps {
  state: SandboxState;
  /** Current time as an ISO string, from the sandbox clock. */
  now(): string;
}

/** Parses the JSON body with `schema`; malformed JSON is 400/6007, schema violations 400/`code`. */
export async function readBody<S extends z.ZodType>(
  c: SandboxContext,
  schema: S,
  code: number,
): Promise<z.output<S>> {
  const text = await c.req.text();
  let raw: unknown;
  if (text.trim() !== "") {
    try {
      raw = JSON.parse(text);
    } catch {
      throw apiError(400, Codes.malformedJson, "Malformed JSON in request body");
    }
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw apiError(400, code, `Invalid request body: ${describeIssues(parsed.error)}`);
  }
  return parsed.data;
}

/** Parses the query string with `schema`; violations are 400/`code`. */
export function readQuery<S extends z.ZodType>(
  c: SandboxContext,
  schema: S,
  code: number,
): z.output<S> {
  const parsed = schema.safeParse(c.req.query());
  if (!parsed.success) {
    throw apiError(400, code, `Invalid query parameters: ${describeIssues(parsed.error)}`);
  }
  return parsed.data;
}

export function tokenMayUseAccount(state: SandboxState, token: string, accountId: string): boolean {
  const grant = state.tokens.get(token);
  if (!grant || !state.accounts.has(accountId)) return false;
  return grant.accounts === undefined || grant.accounts.includes(accountId);
}

/** The account of the `:account_id` path parameter, if the caller's token may use it (else 403). */
export function requireAccount(c: SandboxContext, state: SandboxState): Account {
  const accountId = c.req.param("account_id") ?? "";
  const account = state.accounts.get(accountId);
  if (!account || !tokenMayUseAccount(state, c.get("token"), accountId)) {
    throw apiError(403, Codes.authenticationError, "Authentication error");
  }
  return account;
}

/** The zone of the `:zone_id` path parameter, if the caller's token may use it. */
export function requireZone(c: SandboxContext, state: SandboxState): Zone {
  const zoneId = c.req.param("zone_id") ?? "";
  if (!isHexId(zoneId)) throw invalidIdentifier(c.req.path);
  const zone = state.zones.get(zoneId);
  if (!zone || !tokenMayUseAccount(state, c.get("token"), zone.account_id)) {
    throw apiError(403, Codes.authenticationError, "Authentication error");
  }
  return zone;
}

/** What the API answers for a malformed object identifier in the path (400, 7003 + 7000). */
export function invalidIdentifier(path: string): CfApiError {
  const route = path.replace(/^\/client\/v4/, "");
  return new CfApiError(400, [
    {
      code: Codes.invalidObjectIdentifier,
      message: `Could not route to ${route}, perhaps your object identifier is invalid?`,
    },
    { code: Codes.noRoute, message: "No route for that URI" },
  ]);
}
