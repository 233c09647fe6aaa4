import { TunnelList } from "@dockflow/protocol";
import { createRoute } from "@hono/zod-openapi";
import type { ApiDeps } from "../http/deps.ts";
import { bearerAuth, errorResponses, jsonContent } from "../http/openapi.ts";
import type { MasterApp } from "../http/types.ts";

export function mountListTunnels(app: MasterApp, deps: ApiDeps) {
  const route = createRoute({
    method: "get",
    path: "/tunnels",
    summary: "List tunnels (one per agent) with the ingress keys the master manages",
    tags: ["operator"],
    security: bearerAuth,
    middleware: [deps.guards.admin],
    responses: { 200: jsonContent(TunnelList, "Tunnels"), ...errorResponses(401, 403, 429) },
  });
  app.openapi(route, async (c) => c.json({ tunnels: await deps.state.tunnels() }, 200));
}
