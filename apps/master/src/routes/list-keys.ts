import { KeyList } from "@dockflow/protocol";
import { createRoute } from "@hono/zod-openapi";
import type { ApiDeps } from "../http/deps.ts";
import { bearerAuth, errorResponses, jsonContent } from "../http/openapi.ts";
import type { MasterApp } from "../http/types.ts";

export function mountListKeys(app: MasterApp, deps: ApiDeps) {
  const route = createRoute({
    method: "get",
    path: "/keys",
    summary: "List agent keys (never the keys themselves)",
    tags: ["keys"],
    security: bearerAuth,
    middleware: [deps.guards.admin],
    responses: { 200: jsonContent(KeyList, "Keys"), ...errorResponses(401, 403, 429) },
  });
  app.openapi(route, async (c) => c.json({ keys: await deps.keys.list() }, 200));
}
