import { ReconcileResult } from "@dockflow/protocol";
import { createRoute } from "@hono/zod-openapi";
import type { ApiDeps } from "../http/deps.ts";
import { errorResponses, jsonContent, operatorAuth } from "../http/openapi.ts";
import type { MasterApp } from "../http/types.ts";

export function mountReconcile(app: MasterApp, deps: ApiDeps) {
  const route = createRoute({
    method: "post",
    path: "/reconcile",
    summary:
      "Run a full reconcile now (grace expiry, tunnels, commands, ingress, DNS) and report what it did",
    tags: ["operator"],
    security: operatorAuth,
    middleware: [deps.guards.admin],
    responses: {
      200: jsonContent(
        ReconcileResult,
        "What the pass did; Cloudflare failures are listed and retried",
      ),
      ...errorResponses(401, 403, 429),
    },
  });
  app.openapi(route, async (c) => c.json(await deps.reconciler.run(true), 200));
}
