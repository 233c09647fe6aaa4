import { SessionInfo } from "@dockflow/protocol";
import { createRoute } from "@hono/zod-openapi";
import type { ApiDeps } from "../http/deps.ts";
import { cookieAuth, errorResponses, jsonContent } from "../http/openapi.ts";
import type { MasterApp } from "../http/types.ts";
import { infoOf } from "../services/sessions.ts";

export function mountGetSession(app: MasterApp, deps: ApiDeps) {
  const route = createRoute({
    method: "get",
    path: "/session",
    summary:
      "The console's session (a reloaded page gets its CSRF token back); 401 when signed out",
    tags: ["console"],
    security: cookieAuth,
    middleware: [deps.guards.session],
    responses: {
      200: jsonContent(SessionInfo, "Signed in"),
      ...errorResponses(401),
    },
  });
  app.openapi(route, (c) => {
    c.header("Cache-Control", "no-store");
    return c.json(infoOf(c.get("session")), 200);
  });
}
