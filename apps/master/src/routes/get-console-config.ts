import { ConsoleConfig } from "@dockflow/protocol";
import { createRoute } from "@hono/zod-openapi";
import type { ApiDeps } from "../http/deps.ts";
import { jsonContent } from "../http/openapi.ts";
import type { MasterApp } from "../http/types.ts";

export function mountGetConsoleConfig(app: MasterApp, deps: ApiDeps) {
  const route = createRoute({
    method: "get",
    path: "/console/config",
    summary: "Public settings of the console (no secrets): where the flow manager is",
    tags: ["console"],
    responses: { 200: jsonContent(ConsoleConfig, "The console's settings") },
  });
  app.openapi(route, (c) => c.json(deps.console, 200));
}
