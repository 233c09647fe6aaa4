import { Health } from "@dockflow/protocol";
import { createRoute } from "@hono/zod-openapi";
import type { ApiDeps } from "../http/deps.ts";
import { jsonContent } from "../http/openapi.ts";
import type { MasterApp } from "../http/types.ts";

export const healthRoute = createRoute({
  method: "get",
  path: "/health",
  summary: "Liveness and database reachability (no authentication)",
  tags: ["health"],
  responses: {
    200: jsonContent(Health, "The master runs and its database answers"),
    503: jsonContent(Health, "The database does not answer"),
  },
});

export function mountHealth(app: MasterApp, deps: ApiDeps) {
  app.openapi(healthRoute, async (c) => {
    const ok = await deps.state.databaseHealthy();
    return ok
      ? c.json({ status: "ok" as const, database: "ok" as const }, 200)
      : c.json({ status: "unavailable" as const, database: "unavailable" as const }, 503);
  });
}
