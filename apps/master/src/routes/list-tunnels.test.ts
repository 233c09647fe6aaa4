import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureTunnelRow } from "../db/repositories/tunnels.ts";
import { expectApiError, json, startEvent, webLabels } from "../testing/expect.ts";
import { startTestMaster, type TestMaster } from "../testing/harness.ts";
import { pageThrough } from "../testing/pages.ts";

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

  it("pages through tunnels by agent id, each exactly once", async () => {
    const at = t.clock.now();
    for (let i = 0; i < 13; i++) {
      const id = `agent-gone-${String(i).padStart(2, "0")}`;
      await ensureTunnelRow(t.master.db, id, `dockflow-${id}`, at);
    }
    const { items, pages } = await pageThrough<{ agent_id: string; status: string }>(
      t,
      "/tunnels?limit=5",
      "tunnels",
    );
    expect(pages).toBe(3);
    const ids = items.map((tunnel) => tunnel.agent_id);
    expect(ids).toHaveLength(14);
    expect(ids).toEqual([...new Set(ids)].sort());
    // Their agents do not exist: orphaned (the reconciler deletes them).
    expect(
      items.filter((tunnel) => tunnel.agent_id.startsWith("agent-gone-")).map((x) => x.status),
    ).toEqual(Array(13).fill("orphaned"));
  });

  it("is for operators only", async () => {
    await expectApiError(await t.api("/tunnels"), 401, "unauthorized");
  });
});
