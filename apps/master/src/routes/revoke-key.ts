import { KeyView } from "@dockflow/protocol";
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import type { ApiDeps } from "../http/deps.ts";
import { notFound } from "../http/errors.ts";
import { errorResponses, jsonContent, operatorAuth } from "../http/openapi.ts";
import type { MasterApp } from "../http/types.ts";

const Params = z.object({
  id: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9_.-]+$/, "key ids contain letters, digits, '_', '.' and '-'"),
});

export function mountRevokeKey(app: MasterApp, deps: ApiDeps) {
  const route = createRoute({
    method: "delete",
    path: "/keys/{id}",
    summary: "Revoke an agent key, with immediate effect",
    tags: ["keys"],
    security: operatorAuth,
    middleware: [deps.guards.admin],
    request: { params: Params },
    responses: {
      200: jsonContent(KeyView, "The revoked key"),
      ...errorResponses(400, 401, 403, 404, 429),
    },
  });
  app.openapi(route, async (c) => {
    const key = await deps.keys.revoke(c.req.valid("param").id);
    if (!key) throw notFound("key");
    return c.json(key, 200);
  });
}
