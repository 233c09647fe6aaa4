import { OpenAPIHono } from "@hono/zod-openapi";
import type { Logger } from "pino";
import { mountDeleteAgent } from "../routes/delete-agent.ts";
import { mountGetAgent } from "../routes/get-agent.ts";
import { mountGetCommands } from "../routes/get-commands.ts";
import { mountHealth } from "../routes/health.ts";
import { mountIssueKey } from "../routes/issue-key.ts";
import { mountListAgents } from "../routes/list-agents.ts";
import { mountListKeys } from "../routes/list-keys.ts";
import { mountListRules } from "../routes/list-rules.ts";
import { mountListTunnels } from "../routes/list-tunnels.ts";
import { mountPostCommands } from "../routes/post-commands.ts";
import { mountPostEvents } from "../routes/post-events.ts";
import { mountReconcile } from "../routes/reconcile.ts";
import { mountRegister } from "../routes/register.ts";
import { mountRevokeKey } from "../routes/revoke-key.ts";
import { readBody } from "./body.ts";
import type { ApiDeps } from "./deps.ts";
import { errorHandler, errorResponse, validationHook } from "./errors.ts";
import { textGuard } from "./text-guard.ts";
import type { AppEnv, MasterApp } from "./types.ts";

export const API_PREFIX = "/api/v2";

export const OPENAPI_INFO = {
  openapi: "3.1.0",
  info: {
    title: "dockflow master",
    version: "2.0.0",
    description:
      "Agents, ingress rules, Cloudflare tunnels and the agents' command queue. Operator routes take the admin token, agent routes the agent's key, both as `Authorization: Bearer`.",
  },
  servers: [{ url: API_PREFIX }],
};

function createApi(deps: ApiDeps, logger: Logger): MasterApp {
  const api: MasterApp = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  api.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description: "The admin token (operator routes) or an agent key (agent routes)",
  });
  for (const mount of [
    mountHealth,
    mountRegister,
    mountPostEvents,
    mountGetCommands,
    mountPostCommands,
    mountListAgents,
    mountGetAgent,
    mountDeleteAgent,
    mountListTunnels,
    mountListRules,
    mountIssueKey,
    mountListKeys,
    mountRevokeKey,
    mountReconcile,
  ]) {
    mount(api, deps);
  }
  api.doc31("/openapi.json", OPENAPI_INFO);
  api.onError(errorHandler(logger));
  return api;
}

/** The HTTP application: `/api/v2/...`, plus `/health` at the root for probes. */
export function createApp(deps: ApiDeps, logger: Logger, bodyLimitBytes: number): MasterApp {
  const app: MasterApp = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use("*", readBody(bodyLimitBytes));
  app.use("*", textGuard);
  app.get("/health", async (c) => {
    const ok = await deps.state.databaseHealthy();
    const status = ok ? "ok" : "unavailable";
    return c.json({ status, database: status }, ok ? 200 : 503);
  });
  app.route(API_PREFIX, createApi(deps, logger));
  app.notFound((c) => errorResponse(c, 404, { error: "not_found", message: "no such route" }));
  app.onError(errorHandler(logger));
  return app;
}
