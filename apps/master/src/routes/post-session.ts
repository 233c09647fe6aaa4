import { SessionInfo, SessionRequest } from "@dockflow/protocol";
import { createRoute } from "@hono/zod-openapi";
import { setCookie } from "hono/cookie";
import { SESSION_COOKIE } from "../auth/guards.ts";
import type { ApiDeps } from "../http/deps.ts";
import { errorResponses, jsonBody, jsonContent } from "../http/openapi.ts";
import type { MasterApp } from "../http/types.ts";

export function mountPostSession(app: MasterApp, deps: ApiDeps) {
  const route = createRoute({
    method: "post",
    path: "/session",
    summary:
      "Sign the console in with the admin token: sets the HttpOnly, SameSite=Strict session cookie",
    tags: ["console"],
    request: { body: jsonBody(SessionRequest) },
    responses: {
      200: jsonContent(SessionInfo, "Signed in; keep csrf_token in memory for X-CSRF-Token"),
      ...errorResponses(400, 401, 413, 415, 429),
    },
  });
  app.openapi(route, async (c) => {
    const attempt = deps.guards.signIn(c);
    const opened = await deps.sessions.open(c.req.valid("json").token);
    if (!opened) throw attempt.failed();
    setCookie(c, SESSION_COOKIE, opened.sessionId, {
      httpOnly: true,
      sameSite: "Strict",
      path: "/",
      secure: deps.guards.overHttps(c),
      expires: new Date(opened.expires_at),
    });
    c.header("Cache-Control", "no-store");
    return c.json({ csrf_token: opened.csrf_token, expires_at: opened.expires_at }, 200);
  });
}
