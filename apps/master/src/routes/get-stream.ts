import { StreamChange } from "@dockflow/protocol";
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import type { ApiDeps } from "../http/deps.ts";
import { HttpError } from "../http/errors.ts";
import { errorResponses, operatorAuth } from "../http/openapi.ts";
import type { MasterApp } from "../http/types.ts";

const ChangeId = z.string().regex(/^\d{1,18}$/, "a change id (the SSE id: of a change)");

const Query = z.object({
  /** For EventSource reconnects that cannot set the header. */
  last_event_id: ChangeId.optional(),
});

export function mountGetStream(app: MasterApp, deps: ApiDeps) {
  const route = createRoute({
    method: "get",
    path: "/stream",
    summary:
      "Server-Sent Events: every change operators see (`event: change`, data a StreamChange); resume with Last-Event-ID",
    tags: ["console"],
    security: operatorAuth,
    middleware: [deps.guards.admin],
    request: { query: Query },
    responses: {
      200: {
        content: { "text/event-stream": { schema: StreamChange } },
        description:
          "`id: <change id>`, `event: change`, `data: <StreamChange JSON>`; `event: reset` when the changes after Last-Event-ID are gone; `: ping` comments",
      },
      ...errorResponses(400, 401, 403, 429),
    },
  });
  app.openapi(route, async (c) => {
    const header = c.req.header("last-event-id");
    const lastEventId = header ?? c.req.valid("query").last_event_id;
    if (header !== undefined && !ChangeId.safeParse(header).success) {
      throw new HttpError(400, "validation_error", "invalid headers", {
        issues: [{ path: "last-event-id", message: "a change id (the SSE id: of a change)" }],
      });
    }
    const outgoing = c.env?.outgoing;
    const connection = await deps.stream.connect(
      lastEventId,
      outgoing ? () => outgoing.destroy() : undefined,
    );
    return c.body(connection.body, 200, {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-store",
      "X-Accel-Buffering": "no",
    });
  });
}
