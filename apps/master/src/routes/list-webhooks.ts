import { WebhookList } from "@dockflow/protocol";
import { createRoute } from "@hono/zod-openapi";
import type { ApiDeps } from "../http/deps.ts";
import { errorResponses, jsonContent, operatorAuth } from "../http/openapi.ts";
import type { MasterApp } from "../http/types.ts";

export function mountListWebhooks(app: MasterApp, deps: ApiDeps) {
  const route = createRoute({
    method: "get",
    path: "/webhooks",
    summary: "List the webhooks, oldest first (never their secrets)",
    tags: ["webhooks"],
    security: operatorAuth,
    middleware: [deps.guards.admin],
    responses: {
      200: jsonContent(WebhookList, "Webhooks"),
      ...errorResponses(401, 403, 429),
    },
  });
  app.openapi(route, async (c) => c.json({ webhooks: await deps.webhooks.list() }, 200));
}
