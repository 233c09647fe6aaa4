import { WebhookCreate, WebhookView } from "@dockflow/protocol";
import { createRoute } from "@hono/zod-openapi";
import type { ApiDeps } from "../http/deps.ts";
import { HttpError } from "../http/errors.ts";
import { errorResponses, jsonBody, jsonContent, operatorAuth } from "../http/openapi.ts";
import type { MasterApp } from "../http/types.ts";
import { WebhookLimitError } from "../webhooks/service.ts";

export function mountCreateWebhook(app: MasterApp, deps: ApiDeps) {
  const route = createRoute({
    method: "post",
    path: "/webhooks",
    summary: "Add a webhook: a URL, the events it wants, and the secret that signs its deliveries",
    description:
      "The secret is write-only: it is never returned or logged. Deliveries are signed with HMAC-SHA256 (see docs/notifications.md).",
    tags: ["webhooks"],
    security: operatorAuth,
    middleware: [deps.guards.admin],
    request: { body: jsonBody(WebhookCreate) },
    responses: {
      201: jsonContent(WebhookView, "The webhook (without its secret)"),
      ...errorResponses(400, 401, 403, 409, 415, 429),
    },
  });
  app.openapi(route, async (c) => {
    try {
      return c.json(await deps.webhooks.create(c.req.valid("json")), 201);
    } catch (error) {
      if (error instanceof WebhookLimitError) throw new HttpError(409, "conflict", error.message);
      throw error;
    }
  });
}
