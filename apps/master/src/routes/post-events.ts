import { AgentEvent, EventAccepted } from "@dockflow/protocol";
import { createRoute } from "@hono/zod-openapi";
import type { ApiDeps } from "../http/deps.ts";
import {
  AgentIdParams,
  bearerAuth,
  errorResponses,
  jsonBody,
  jsonContent,
} from "../http/openapi.ts";
import type { MasterApp } from "../http/types.ts";

export function mountPostEvents(app: MasterApp, deps: ApiDeps) {
  const route = createRoute({
    method: "post",
    path: "/agents/{id}/events",
    summary: "Report an event (idempotent per event_id); command_result acknowledges a command",
    tags: ["agent"],
    security: bearerAuth,
    middleware: [deps.guards.agent],
    request: { params: AgentIdParams, body: jsonBody(AgentEvent) },
    responses: {
      200: jsonContent(EventAccepted, "Applied (or recognised as a duplicate)"),
      ...errorResponses(400, 401, 403, 404, 413, 415, 429),
    },
  });
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    return c.json(await deps.events.ingest(id, c.req.valid("json")), 200);
  });
}
