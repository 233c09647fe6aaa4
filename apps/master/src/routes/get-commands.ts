import { CommandsResponse } from "@dockflow/protocol";
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import type { ApiDeps } from "../http/deps.ts";
import { AgentIdParams, bearerAuth, errorResponses, jsonContent } from "../http/openapi.ts";
import type { MasterApp } from "../http/types.ts";

const Query = z.object({
  wait: z.coerce
    .number()
    .min(0)
    .optional()
    .describe("Long poll: seconds to wait for a command (capped by LONG_POLL_MAX_SECONDS)"),
});

export function mountGetCommands(app: MasterApp, deps: ApiDeps) {
  const route = createRoute({
    method: "get",
    path: "/agents/{id}/commands",
    summary:
      "Take the agent's pending commands (at least once: re-delivered after the visibility timeout until acknowledged)",
    tags: ["agent"],
    security: bearerAuth,
    middleware: [deps.guards.agent],
    request: { params: AgentIdParams, query: Query },
    responses: {
      200: jsonContent(CommandsResponse, "Commands, oldest first (empty when none came in time)"),
      ...errorResponses(400, 401, 403, 429),
    },
  });
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    const wait = Math.min(c.req.valid("query").wait ?? 0, deps.longPollMaxSeconds);
    const commands = await deps.queue.poll(id, wait * 1000, c.req.raw.signal);
    return c.json({ commands }, 200);
  });
}
