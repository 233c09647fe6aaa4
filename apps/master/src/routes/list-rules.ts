import { RulePage, RuleQuery } from "@dockflow/protocol";
import { createRoute } from "@hono/zod-openapi";
import type { ApiDeps } from "../http/deps.ts";
import { errorResponses, jsonContent, operatorAuth } from "../http/openapi.ts";
import type { MasterApp } from "../http/types.ts";

export function mountListRules(app: MasterApp, deps: ApiDeps) {
  const route = createRoute({
    method: "get",
    path: "/rules",
    summary:
      "List ingress rules by hostname and path (filter by agent_id, state, q: part of the hostname; paginated)",
    tags: ["operator"],
    security: operatorAuth,
    middleware: [deps.guards.admin],
    request: { query: RuleQuery },
    responses: { 200: jsonContent(RulePage, "Rules"), ...errorResponses(400, 401, 403, 429) },
  });
  app.openapi(route, async (c) => {
    const { agent_id, state, q, ...page } = c.req.valid("query");
    const filter = { agentId: agent_id, state, hostnameContains: q };
    return c.json(await deps.state.rules(filter, page), 200);
  });
}
