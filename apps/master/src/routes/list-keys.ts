import { KeyPage, PageQuery } from "@dockflow/protocol";
import { createRoute } from "@hono/zod-openapi";
import type { ApiDeps } from "../http/deps.ts";
import { errorResponses, jsonContent, operatorAuth } from "../http/openapi.ts";
import type { MasterApp } from "../http/types.ts";

export function mountListKeys(app: MasterApp, deps: ApiDeps) {
  const route = createRoute({
    method: "get",
    path: "/keys",
    summary: "List agent keys, oldest first (never the keys themselves; paginated)",
    tags: ["keys"],
    security: operatorAuth,
    middleware: [deps.guards.admin],
    request: { query: PageQuery },
    responses: { 200: jsonContent(KeyPage, "Keys"), ...errorResponses(400, 401, 403, 429) },
  });
  app.openapi(route, async (c) => c.json(await deps.keys.list(c.req.valid("query")), 200));
}
