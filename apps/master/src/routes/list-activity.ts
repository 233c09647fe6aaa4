import { ActivityPage, ActivityQuery } from "@dockflow/protocol";
import { createRoute } from "@hono/zod-openapi";
import type { ApiDeps } from "../http/deps.ts";
import { errorResponses, jsonContent, operatorAuth } from "../http/openapi.ts";
import type { MasterApp } from "../http/types.ts";

export function mountListActivity(app: MasterApp, deps: ApiDeps) {
  const route = createRoute({
    method: "get",
    path: "/activity",
    summary:
      "The master's event log, newest first (filter by type, agent_id, q: text in the type, agent id or payload; paginated)",
    tags: ["operator"],
    security: operatorAuth,
    middleware: [deps.guards.admin],
    request: { query: ActivityQuery },
    responses: {
      200: jsonContent(ActivityPage, "Event log entries"),
      ...errorResponses(400, 401, 403, 429),
    },
  });
  app.openapi(route, async (c) => {
    const { type, agent_id, q, ...page } = c.req.valid("query");
    return c.json(await deps.state.activity({ type, agentId: agent_id, text: q }, page), 200);
  });
}
