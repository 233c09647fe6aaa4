import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectApiError, json, startEvent, webLabels } from "../testing/expect.ts";
import { startTestMaster, type TestMaster } from "../testing/harness.ts";

describe("GET /tunnels", () => {
  let t: TestMaster;
  beforeAll(async () => {
    t = await startTestMaster({ database: "postgres" });
  });
  afterAll(() => t?.close());

  it("lists one tunnel per agent with the rules the master manages in it", async () => {
    const a = await t.registerAgent({ node_info: { node_id: "lt" } });
    await t.api(`/agents/${a.agentId}/events`, {
      method: "POST",
      token: a.key,
      json: startEvent("docs", webLabels("docs.example.com")),
    });
    await t.master.reconciler.run();
    const { tunnels } = await json<{ tunnels: unknown[] }>(await t.admin("/tunnels"));
    expect(tunnels).toEqual([
      expect.objectContaining({
        agent_id: a.agentId,
        name: `dockflow-${a.agentId}`,
        tunnel_id: expect.any(String),
        status: "active",
        managed_rules: ["docs.example.com "],
        last_error: null,
      }),
    ]);
  });

  it("is for operators only", async () => {
    await expectApiError(await t.api("/tunnels"), 401, "unauthorized");
  });
});
