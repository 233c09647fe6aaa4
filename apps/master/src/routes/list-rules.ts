import { AgentId, RuleList, RuleState } from "@dockflow/protocol";
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import type { ApiDeps } from "../http/deps.ts";
import { bearerAuth, errorResponses, jsonContent } from "../http/openapi.ts";
import type { MasterApp } from "../http/types.ts";

const Query = z.object({ agent_id: AgentId.optional(), state: RuleState.optional() });

export function mountListRules(app: MasterApp, deps: ApiDeps) {
  const route = createRoute({
    method: "get",
    path: "/rules",
    summary: "List ingress rules (filter by agent_id, state)",
    tags: ["operator"],
    security: bearerAuth,
    middleware: [deps.guards.admin],
    request: { query: Query },
    responses: { 200: jsonContent(RuleList, "Rules"), ...errorResponses(400, 401, 403, 429) },
  });
  app.openapi(route, async (c) => {
    const { agent_id, state } = c.req.valid("query");
    return c.json({ rules: await deps.state.rules({ agentId: agent_id, state }) }, 200);
  });
}
