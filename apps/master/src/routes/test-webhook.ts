import { WebhookDeliveryView } from "@dockflow/protocol";
import { createRoute } from "@hono/zod-openapi";
import type { ApiDeps } from "../http/deps.ts";
import { notFound } from "../http/errors.ts";
import { errorResponses, jsonContent, operatorAuth } from "../http/openapi.ts";
import type { MasterApp } from "../http/types.ts";
import { WebhookParams } from "./delete-webhook.ts";

export function mountTestWebhook(app: MasterApp, deps: ApiDeps) {
  const route = createRoute({
    method: "post",
    path: "/webhooks/{id}/test",
    summary: "Queue a `test` event for a webhook (delivered, signed and retried like any other)",
    tags: ["webhooks"],
    security: operatorAuth,
    middleware: [deps.guards.admin],
    request: { params: WebhookParams },
    responses: {
      202: jsonContent(WebhookDeliveryView, "The queued delivery"),
      ...errorResponses(400, 401, 403, 404, 429),
    },
  });
  app.openapi(route, async (c) => {
    const delivery = await deps.webhooks.test(c.req.valid("param").id);
    if (!delivery) throw notFound("webhook");
    return c.json(delivery, 202);
  });
}
