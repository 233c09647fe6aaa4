import { createRoute } from "@hono/zod-openapi";
import type { ApiDeps } from "../http/deps.ts";
import { notFound } from "../http/errors.ts";
import { AgentIdParams, errorResponses, operatorAuth } from "../http/openapi.ts";
import type { MasterApp } from "../http/types.ts";

export function mountDeleteAgent(app: MasterApp, deps: ApiDeps) {
  const route = createRoute({
    method: "delete",
    path: "/agents/{id}",
    summary:
      "Remove an agent: revokes its keys, drops its commands and rules; its DNS records, ingress and tunnel are then removed from Cloudflare",
    tags: ["operator"],
    security: operatorAuth,
    middleware: [deps.guards.admin],
    request: { params: AgentIdParams },
    responses: {
      204: { description: "Removed" },
      ...errorResponses(400, 401, 403, 404, 429),
    },
  });
  app.openapi(route, async (c) => {
    if (!(await deps.agents.remove(c.req.valid("param").id))) throw notFound("agent");
    return c.body(null, 204);
  });
}
