import { createRoute } from "@hono/zod-openapi";
import { deleteCookie } from "hono/cookie";
import { SESSION_COOKIE } from "../auth/guards.ts";
import type { ApiDeps } from "../http/deps.ts";
import { cookieAuth, errorResponses } from "../http/openapi.ts";
import type { MasterApp } from "../http/types.ts";

export function mountDeleteSession(app: MasterApp, deps: ApiDeps) {
  const route = createRoute({
    method: "delete",
    path: "/session",
    summary: "Sign out: revokes the session on the server and clears the cookie (X-CSRF-Token)",
    tags: ["console"],
    security: cookieAuth,
    middleware: [deps.guards.session],
    responses: {
      204: { description: "Signed out" },
      ...errorResponses(401, 403),
    },
  });
  app.openapi(route, async (c) => {
    await deps.sessions.revoke(c.get("session"));
    deleteCookie(c, SESSION_COOKIE, {
      httpOnly: true,
      sameSite: "Strict",
      path: "/",
      secure: deps.guards.overHttps(c),
    });
    return c.body(null, 204);
  });
}
