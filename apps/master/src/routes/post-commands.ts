import { EnqueueCommandsRequest, EnqueuedCommands } from "@dockflow/protocol";
import { createRoute } from "@hono/zod-openapi";
import type { ApiDeps } from "../http/deps.ts";
import { notFound } from "../http/errors.ts";
import {
  AgentIdParams,
  errorResponses,
  jsonBody,
  jsonContent,
  operatorAuth,
} from "../http/openapi.ts";
import type { MasterApp } from "../http/types.ts";

export function mountPostCommands(app: MasterApp, deps: ApiDeps) {
  const route = createRoute({
    method: "post",
    path: "/agents/{id}/commands",
    summary: "Queue commands for an agent (admin token, or the agent's own key as in seed 5.3)",
    tags: ["commands"],
    security: operatorAuth,
    middleware: [deps.guards.adminOrAgent],
    request: { params: AgentIdParams, body: jsonBody(EnqueueCommandsRequest) },
    responses: {
      201: jsonContent(EnqueuedCommands, "Queued"),
      ...errorResponses(400, 401, 403, 404, 413, 415, 429),
    },
  });
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    const { commands } = c.req.valid("json");
    if (!(await deps.agents.exists(id))) throw notFound("agent");
    const ids = await deps.queue.enqueue(id, commands);
    return c.json(
      { commands: ids.map((commandId, i) => ({ id: commandId, action: commands[i]!.action })) },
      201,
    );
  });
}
