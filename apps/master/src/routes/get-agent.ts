import { AgentDetail } from "@dockflow/protocol";
import { createRoute } from "@hono/zod-openapi";
import type { ApiDeps } from "../http/deps.ts";
import { notFound } from "../http/errors.ts";
import { AgentIdParams, errorResponses, jsonContent, operatorAuth } from "../http/openapi.ts";
import type { MasterApp } from "../http/types.ts";

export function mountGetAgent(app: MasterApp, deps: ApiDeps) {
  const route = createRoute({
    method: "get",
    path: "/agents/{id}",
    summary: "Inspect an agent: its tunnel, rules and pending commands",
    tags: ["operator"],
    security: operatorAuth,
    middleware: [deps.guards.admin],
    request: { params: AgentIdParams },
    responses: {
      200: jsonContent(AgentDetail, "The agent"),
      ...errorResponses(400, 401, 403, 404, 429),
    },
  });
  app.openapi(route, async (c) => {
    const detail = await deps.agents.detail(c.req.valid("param").id);
    if (!detail) throw notFound("agent");
    return c.json(detail, 200);
  });
}
