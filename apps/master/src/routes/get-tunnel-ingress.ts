import { AgentId, TunnelIngressView } from "@dockflow/protocol";
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import type { ApiDeps } from "../http/deps.ts";
import { notFound } from "../http/errors.ts";
import { errorResponses, jsonContent, operatorAuth } from "../http/openapi.ts";
import type { MasterApp } from "../http/types.ts";

export function mountGetTunnelIngress(app: MasterApp, deps: ApiDeps) {
  const route = createRoute({
    method: "get",
    path: "/tunnels/{agent_id}/ingress",
    summary:
      "A tunnel's whole ingress as Cloudflare holds it, each entry marked as managed by the master or the operator's",
    tags: ["operator"],
    security: operatorAuth,
    middleware: [deps.guards.admin],
    request: { params: z.object({ agent_id: AgentId }) },
    responses: {
      200: jsonContent(TunnelIngressView, "The tunnel's ingress"),
      ...errorResponses(400, 401, 403, 404, 429, 502),
    },
  });
  app.openapi(route, async (c) => {
    const view = await deps.tunnelIngress.ingress(c.req.valid("param").agent_id);
    if (!view) throw notFound("tunnel");
    return c.json(view, 200);
  });
}
