import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { Logger } from "pino";
import { SESSION_COOKIE } from "../auth/guards.ts";
import { mountCreateWebhook } from "../routes/create-webhook.ts";
import { mountDeleteAgent } from "../routes/delete-agent.ts";
import { mountDeleteSession } from "../routes/delete-session.ts";
import { mountDeleteWebhook } from "../routes/delete-webhook.ts";
import { mountGetAgent } from "../routes/get-agent.ts";
import { mountGetCommands } from "../routes/get-commands.ts";
import { mountGetConsoleConfig } from "../routes/get-console-config.ts";
import { mountGetSession } from "../routes/get-session.ts";
import { mountGetStream } from "../routes/get-stream.ts";
import { mountGetTunnelIngress } from "../routes/get-tunnel-ingress.ts";
import { mountHealth } from "../routes/health.ts";
import { mountIssueKey } from "../routes/issue-key.ts";
import { mountListActivity } from "../routes/list-activity.ts";
import { mountListAgents } from "../routes/list-agents.ts";
import { mountListKeys } from "../routes/list-keys.ts";
import { mountListRules } from "../routes/list-rules.ts";
import { mountListTunnels } from "../routes/list-tunnels.ts";
import { mountListWebhookDeliveries } from "../routes/list-webhook-deliveries.ts";
import { mountListWebhooks } from "../routes/list-webhooks.ts";
import { mountPostCommands } from "../routes/post-commands.ts";
import { mountPostEvents } from "../routes/post-events.ts";
import { mountPostSession } from "../routes/post-session.ts";
import { mountReconcile } from "../routes/reconcile.ts";
import { mountRegister } from "../routes/register.ts";
import { mountRevokeKey } from "../routes/revoke-key.ts";
import { mountTestWebhook } from "../routes/test-webhook.ts";
import { readBody } from "./body.ts";
import { consoleSite, contentSecurityPolicy, securityHeaders } from "./console-site.ts";
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
      "Agents, ingress rules, Cloudflare tunnels and the agents' command queue. Operator routes take the admin token (`Authorization: Bearer`) or the console's session cookie (state changes with `X-CSRF-Token`), agent routes the agent's key (`Authorization: Bearer`).",
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
  api.openAPIRegistry.registerComponent("securitySchemes", "cookieAuth", {
    type: "apiKey",
    in: "cookie",
    name: SESSION_COOKIE,
    description:
      "The console's session (`POST /session`); state-changing requests also send `X-CSRF-Token`",
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
    mountGetTunnelIngress,
    mountListRules,
    mountIssueKey,
    mountListKeys,
    mountRevokeKey,
    mountReconcile,
    mountPostSession,
    mountGetSession,
    mountDeleteSession,
    mountGetStream,
    mountListActivity,
    mountGetConsoleConfig,
    mountListWebhooks,
    mountCreateWebhook,
    mountDeleteWebhook,
    mountTestWebhook,
    mountListWebhookDeliveries,
  ]) {
    mount(api, deps);
  }
  api.doc31("/openapi.json", OPENAPI_INFO);
  api.onError(errorHandler(logger));
  return api;
}

export interface AppOptions {
  deps: ApiDeps;
  logger: Logger;
  bodyLimitBytes: number;
  /** The console's static build, served at `/` (none: only the API). */
  consoleDir: string | undefined;
}

/**
 * The HTTP application: `/api/v2/...`, `/health` at the root for probes, and the console's build at
 * `/`; every response carries the console's Content-Security-Policy.
 */
export function createApp({ deps, logger, bodyLimitBytes, consoleDir }: AppOptions): MasterApp {
  const app: MasterApp = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use("*", securityHeaders(contentSecurityPolicy(deps.console.flow_manager_url ?? undefined)));
  app.use("*", readBody(bodyLimitBytes));
  app.use("*", textGuard);
  app.get("/health", async (c) => {
    const ok = await deps.state.databaseHealthy();
    const status = ok ? "ok" : "unavailable";
    return c.json({ status, database: status }, ok ? 200 : 503);
  });
  app.route(API_PREFIX, createApi(deps, logger));
  const notFound = (c: Context<AppEnv>) =>
    errorResponse(c, 404, { error: "not_found", message: "no such route" });
  if (consoleDir) {
    const site = consoleSite(consoleDir, notFound);
    app.on(["GET", "HEAD"], "*", (c, next) =>
      c.req.path === "/api" || c.req.path.startsWith("/api/") ? next() : site(c, next),
    );
  }
  app.notFound(notFound);
  app.onError(errorHandler(logger));
  return app;
}
