import type { HttpBindings } from "@hono/node-server";
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AgentPrincipal } from "../auth/agent-keys.ts";
import type { SessionRow } from "../db/schema.ts";

export type AppEnv = {
  /** Node bindings (absent when the app is driven in-process with `app.request`). */
  Bindings: Partial<HttpBindings>;
  Variables: { principal: AgentPrincipal; session: SessionRow };
};

export type MasterApp = OpenAPIHono<AppEnv>;
