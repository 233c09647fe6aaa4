import { AgentList } from "@dockflow/protocol";
import { createRoute } from "@hono/zod-openapi";
import type { ApiDeps } from "../http/deps.ts";
import { bearerAuth, errorResponses, jsonContent } from "../http/openapi.ts";
import type { MasterApp } from "../http/types.ts";

export function mountListAgents(app: MasterApp, deps: ApiDeps) {
  const route = createRoute({
    method: "get",
    path: "/agents",
    summary: "List agents with their status, tunnel and rule count",
    tags: ["operator"],
    security: bearerAuth,
    middleware: [deps.guards.admin],
    responses: { 200: jsonContent(AgentList, "Agents"), ...errorResponses(401, 403, 429) },
  });
  app.openapi(route, async (c) => c.json({ agents: await deps.agents.list() }, 200));
}
