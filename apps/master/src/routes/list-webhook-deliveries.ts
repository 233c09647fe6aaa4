import { WebhookDeliveryList, WebhookDeliveryQuery } from "@dockflow/protocol";
import { createRoute } from "@hono/zod-openapi";
import type { ApiDeps } from "../http/deps.ts";
import { notFound } from "../http/errors.ts";
import { errorResponses, jsonContent, operatorAuth } from "../http/openapi.ts";
import type { MasterApp } from "../http/types.ts";
import { WebhookParams } from "./delete-webhook.ts";

export function mountListWebhookDeliveries(app: MasterApp, deps: ApiDeps) {
  const route = createRoute({
    method: "get",
    path: "/webhooks/{id}/deliveries",
    summary: "A webhook's deliveries, newest first: status, attempts, last error",
    tags: ["webhooks"],
    security: operatorAuth,
    middleware: [deps.guards.admin],
    request: { params: WebhookParams, query: WebhookDeliveryQuery },
    responses: {
      200: jsonContent(WebhookDeliveryList, "Deliveries"),
      ...errorResponses(400, 401, 403, 404, 429),
    },
  });
  app.openapi(route, async (c) => {
    const deliveries = await deps.webhooks.deliveries(
      c.req.valid("param").id,
      c.req.valid("query"),
    );
    if (!deliveries) throw notFound("webhook");
    return c.json({ deliveries }, 200);
  });
}
