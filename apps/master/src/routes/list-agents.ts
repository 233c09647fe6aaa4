import { AgentPage, PageQuery } from "@dockflow/protocol";
import { createRoute } from "@hono/zod-openapi";
import type { ApiDeps } from "../http/deps.ts";
import { errorResponses, jsonContent, operatorAuth } from "../http/openapi.ts";
import type { MasterApp } from "../http/types.ts";

export function mountListAgents(app: MasterApp, deps: ApiDeps) {
  const route = createRoute({
    method: "get",
    path: "/agents",
    summary: "List agents with their status, tunnel and rule count (by id, paginated)",
    tags: ["operator"],
    security: operatorAuth,
    middleware: [deps.guards.admin],
    request: { query: PageQuery },
    responses: { 200: jsonContent(AgentPage, "Agents"), ...errorResponses(400, 401, 403, 429) },
  });
  app.openapi(route, async (c) => c.json(await deps.agents.list(c.req.valid("query")), 200));
}
