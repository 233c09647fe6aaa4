import { RegisterRequest, RegisterResponse } from "@dockflow/protocol";
import { createRoute } from "@hono/zod-openapi";
import type { ApiDeps } from "../http/deps.ts";
import { bearerAuth, errorResponses, jsonBody, jsonContent } from "../http/openapi.ts";
import type { MasterApp } from "../http/types.ts";

export function mountRegister(app: MasterApp, deps: ApiDeps) {
  const route = createRoute({
    method: "post",
    path: "/agents/register",
    summary:
      "Register an agent (idempotent: the same key, or the stored agent_id, gets the same id)",
    tags: ["agent"],
    security: bearerAuth,
    middleware: [deps.guards.registration],
    request: { body: jsonBody(RegisterRequest) },
    responses: {
      200: jsonContent(RegisterResponse, "Registered"),
      ...errorResponses(400, 401, 403, 409, 413, 415, 429),
    },
  });
  app.openapi(route, async (c) => {
    const response = await deps.agents.register(c.get("principal"), c.req.valid("json"));
    return c.json(response, 200);
  });
}
