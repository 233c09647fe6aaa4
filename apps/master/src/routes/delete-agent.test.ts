import { waitFor } from "@dockflow/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cnameOf, liveTunnels } from "../testing/cloudflare-view.ts";
import { expectApiError, startEvent, webLabels } from "../testing/expect.ts";
import { startTestMaster, type TestMaster } from "../testing/harness.ts";

describe("DELETE /agents/{id}", () => {
  let t: TestMaster;
  beforeAll(async () => {
    t = await startTestMaster({ database: "postgres" });
  });
  afterAll(() => t?.close());

  it("removes the agent, revokes its key, and its DNS record and tunnel go from Cloudflare", async () => {
    const a = await t.registerAgent({ node_info: { node_id: "da" } });
    await t.api(`/agents/${a.agentId}/events`, {
      method: "POST",
      token: a.key,
      json: startEvent("blog", webLabels("blog.example.com")),
    });
    await t.master.reconciler.run();
    expect(cnameOf(t.sandbox, "blog.example.com")).toBeDefined();
    expect(liveTunnels(t.sandbox)).toHaveLength(1);

    expect((await t.admin(`/agents/${a.agentId}`, { method: "DELETE" })).status).toBe(204);
    await waitFor(() => liveTunnels(t.sandbox).length === 0, { message: "tunnel deleted" });
    expect(cnameOf(t.sandbox, "blog.example.com")).toBeUndefined();
    await expectApiError(await t.admin(`/agents/${a.agentId}`), 404, "not_found");
    await expectApiError(
      await t.api(`/agents/${a.agentId}/events`, {
        method: "POST",
        token: a.key,
        json: { type: "heartbeat" },
      }),
      401,
      "unauthorized",
    );
    expect((await (await t.admin("/tunnels")).json()) as unknown).toEqual({
      tunnels: [],
      next_cursor: null,
    });
  });

  it("answers 404 for an unknown agent and 403 to an agent key", async () => {
    await expectApiError(
      await t.admin("/agents/agent-none", { method: "DELETE" }),
      404,
      "not_found",
    );
    const a = await t.registerAgent({ node_info: { node_id: "da-2" } });
    await expectApiError(
      await t.api(`/agents/${a.agentId}`, { method: "DELETE", token: a.key }),
      403,
      "forbidden",
    );
  });
});
