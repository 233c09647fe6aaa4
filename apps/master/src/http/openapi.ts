import { AgentId, ApiError } from "@dockflow/protocol";
import { z } from "zod";

const DESCRIPTIONS: Record<number, string> = {
  400: "Malformed JSON or a wrong field (`issues` names each one)",
  401: "Missing, unknown or revoked credentials",
  403: "Authenticated, but not allowed here",
  404: "Not found",
  409: "Conflict",
  413: "Body too large",
  415: "Not JSON",
  429: "Rate limited (`retry_after`, `Retry-After`)",
  502: "Cloudflare failed or could not be reached (`upstream_error`)",
  503: "Database unavailable",
};

export function jsonContent<T extends z.ZodType>(schema: T, description: string) {
  return { content: { "application/json": { schema } }, description };
}

/** The error responses of a route: every one is the protocol's `ApiError`. */
export function errorResponses(...statuses: number[]) {
  const responses: Record<number, ReturnType<typeof jsonContent<typeof ApiError>>> = {};
  for (const status of statuses) {
    responses[status] = jsonContent(ApiError, DESCRIPTIONS[status] ?? "Error");
  }
  return responses;
}

export function jsonBody<T extends z.ZodType>(schema: T, description?: string) {
  return {
    required: true,
    content: { "application/json": { schema } },
    ...(description ? { description } : {}),
  };
}

type Security = Record<string, string[]>[];

export const bearerAuth: Security = [{ bearerAuth: [] }];

/** Operator routes: the admin token, or the console's session cookie (with X-CSRF-Token to change state). */
export const operatorAuth: Security = [{ bearerAuth: [] }, { cookieAuth: [] }];

/** The console's own session routes. */
export const cookieAuth: Security = [{ cookieAuth: [] }];

export const AgentIdParams = z.object({ id: AgentId });
