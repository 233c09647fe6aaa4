import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../logger.ts";
import { expectApiError, json, startEvent, webLabels } from "../testing/expect.ts";
import { ADMIN_TOKEN, startTestMaster, type TestMaster } from "../testing/harness.ts";

describe("the HTTP application", () => {
  let t: TestMaster;
  beforeAll(async () => {
    t = await startTestMaster({ database: "postgres", env: { BODY_LIMIT_BYTES: "2048" } });
  });
  afterAll(() => t?.close());

  it("serves the OpenAPI 3.1 document generated from the routes", async () => {
    const doc = await json<{ openapi: string; paths: Record<string, Record<string, unknown>> }>(
      await t.api("/openapi.json"),
    );
    expect(doc.openapi).toBe("3.1.0");
    expect(
      Object.entries(doc.paths)
        .flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`))
        .sort(),
    ).toEqual(
      [
        "GET /health",
        "POST /agents/register",
        "POST /agents/{id}/events",
        "GET /agents/{id}/commands",
        "POST /agents/{id}/commands",
        "GET /agents",
        "GET /agents/{id}",
        "DELETE /agents/{id}",
        "GET /tunnels",
        "GET /tunnels/{agent_id}/ingress",
        "GET /rules",
        "POST /keys",
        "GET /keys",
        "DELETE /keys/{id}",
        "POST /reconcile",
        "GET /activity",
        "GET /stream",
        "POST /session",
        "GET /session",
        "DELETE /session",
        "GET /console/config",
        "GET /webhooks",
        "POST /webhooks",
        "DELETE /webhooks/{id}",
        "POST /webhooks/{id}/test",
        "GET /webhooks/{id}/deliveries",
      ].sort(),
    );
  });

  it("answers unknown routes, oversized bodies and non-JSON bodies with the error body", async () => {
    await expectApiError(await t.api("/nothing-here"), 404, "not_found");
    await expectApiError(
      await t.admin("/keys", { method: "POST", json: { name: "x".repeat(5000) } }),
      413,
      "payload_too_large",
    );
    const notJson = await t.admin("/keys", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "name=x",
    });
    expect([400, 415]).toContain(notJson.status);
    await expectApiError(notJson, notJson.status, "bad_request");
  });

  it("measures bodies sent without a Content-Length (chunked) against the limit too", async () => {
    const chunked = (text: string) =>
      t.admin("/keys", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: new ReadableStream<Uint8Array>({
          start(controller) {
            // In pieces, so the limit is crossed part-way through the stream.
            for (let i = 0; i < text.length; i += 512) {
              controller.enqueue(new TextEncoder().encode(text.slice(i, i + 512)));
            }
            controller.close();
          },
        }),
        duplex: "half",
      } as RequestInit);
    await expectApiError(
      await chunked(JSON.stringify({ name: "x".repeat(5000) })),
      413,
      "payload_too_large",
    );
    const accepted = await chunked(JSON.stringify({ name: "chunked" }));
    expect(await json<{ name: string }>(accepted, 201)).toMatchObject({ name: "chunked" });
  });

  it("never writes a key or token into its logs, even at trace level", async () => {
    const lines: string[] = [];
    const logger = createLogger("trace", { write: (line: string) => void lines.push(line) });
    const traced = await startTestMaster({ database: "postgres", logger });
    try {
      const agent = await traced.registerAgent({ node_info: { node_id: "logs" } });
      await traced.api(`/agents/${agent.agentId}/events`, {
        method: "POST",
        token: agent.key,
        json: startEvent("web", webLabels("logs.example.com")),
      });
      const start = await traced.nextCommand(agent, (c) => c.action === "start_tunnel");
      await traced.api("/agents", { token: "wrong-admin-token-1234567890" });
      await traced.api(`/agents/${agent.agentId}/events`, {
        method: "POST",
        token: agent.key,
        json: { type: "command_result", command_id: "cmd_unknown", success: false },
      });
      expect(lines.length).toBeGreaterThan(0);
      const logs = lines.join("\n");
      for (const secret of [agent.key, ADMIN_TOKEN, start.token as string, traced.sandbox.token]) {
        expect(logs).not.toContain(secret);
      }
      // The token does not stay at rest once the start_tunnel is acknowledged.
      const stored = await traced.master.db.selectFrom("commands").select("payload").execute();
      expect(JSON.stringify(stored)).not.toContain(start.token as string);
    } finally {
      await traced.close();
    }
  });
});
