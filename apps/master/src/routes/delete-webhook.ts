import { WebhookId } from "@dockflow/protocol";
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import type { ApiDeps } from "../http/deps.ts";
import { notFound } from "../http/errors.ts";
import { errorResponses, operatorAuth } from "../http/openapi.ts";
import type { MasterApp } from "../http/types.ts";

export const WebhookParams = z.object({ id: WebhookId });

export function mountDeleteWebhook(app: MasterApp, deps: ApiDeps) {
  const route = createRoute({
    method: "delete",
    path: "/webhooks/{id}",
    summary: "Remove a webhook and its deliveries (queued ones are not sent)",
    tags: ["webhooks"],
    security: operatorAuth,
    middleware: [deps.guards.admin],
    request: { params: WebhookParams },
    responses: {
      204: { description: "Removed" },
      ...errorResponses(400, 401, 403, 404, 429),
    },
  });
  app.openapi(route, async (c) => {
    if (!(await deps.webhooks.delete(c.req.valid("param").id))) throw notFound("webhook");
    return c.body(null, 204);
  });
}
