import { IssueKeyRequest, KeyIssued } from "@dockflow/protocol";
import { createRoute } from "@hono/zod-openapi";
import type { ApiDeps } from "../http/deps.ts";
import { errorResponses, jsonBody, jsonContent, operatorAuth } from "../http/openapi.ts";
import type { MasterApp } from "../http/types.ts";

export function mountIssueKey(app: MasterApp, deps: ApiDeps) {
  const route = createRoute({
    method: "post",
    path: "/keys",
    summary: "Issue an agent key (shown only in this response; stored as a hash)",
    tags: ["keys"],
    security: operatorAuth,
    middleware: [deps.guards.admin],
    request: { body: jsonBody(IssueKeyRequest) },
    responses: {
      201: jsonContent(KeyIssued, "The new key"),
      ...errorResponses(400, 401, 403, 413, 415, 429),
    },
  });
  app.openapi(route, async (c) => {
    c.header("Cache-Control", "no-store");
    return c.json(await deps.keys.issue(c.req.valid("json").name), 201);
  });
}
