import { PageQuery, TunnelPage } from "@dockflow/protocol";
import { createRoute } from "@hono/zod-openapi";
import type { ApiDeps } from "../http/deps.ts";
import { errorResponses, jsonContent, operatorAuth } from "../http/openapi.ts";
import type { MasterApp } from "../http/types.ts";

export function mountListTunnels(app: MasterApp, deps: ApiDeps) {
  const route = createRoute({
    method: "get",
    path: "/tunnels",
    summary:
      "List tunnels (one per agent) with the ingress keys the master manages (by agent id, paginated)",
    tags: ["operator"],
    security: operatorAuth,
    middleware: [deps.guards.admin],
    request: { query: PageQuery },
    responses: { 200: jsonContent(TunnelPage, "Tunnels"), ...errorResponses(400, 401, 403, 429) },
  });
  app.openapi(route, async (c) => c.json(await deps.state.tunnels(c.req.valid("query")), 200));
}
