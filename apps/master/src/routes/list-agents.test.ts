import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectApiError, json } from "../testing/expect.ts";
import { startTestMaster, type TestMaster } from "../testing/harness.ts";
import { pageThrough } from "../testing/pages.ts";

describe("GET /agents", () => {
  let t: TestMaster;
  beforeAll(async () => {
    t = await startTestMaster({ database: "postgres" });
  });
  afterAll(() => t?.close());

  it("lists agents with status, heartbeat, key and counts", async () => {
    const a = await t.registerAgent({
      node_info: { node_id: "la-1", node_role: "manager" },
      mode: "swarm",
    });
    const body = await json<{ agents: Record<string, unknown>[] }>(await t.admin("/agents"));
    expect(body).toEqual({
      agents: [
        {
          agent_id: a.agentId,
          display_name: "agent",
          version: "2.0.0",
          mode: "swarm",
          node_id: "la-1",
          node_role: "manager",
          hostname: null,
          status: "online",
          last_heartbeat: t.clock.now().toISOString(),
          registered_at: t.clock.now().toISOString(),
          key_id: expect.stringMatching(/^key_/),
          tunnel_id: null,
          rule_count: 0,
        },
      ],
      next_cursor: null,
    });
  });

  it("pages through more agents than a page holds, each exactly once, in id order", async () => {
    const at = t.clock.now();
    await t.master.db
      .insertInto("agents")
      .values(
        Array.from({ length: 23 }, (_, i) => ({
          id: `agent-page-${String(i).padStart(2, "0")}`,
          display_name: `page ${i}`,
          version: "2.0.0",
          mode: "standalone" as const,
          node_id: null,
          node_role: null,
          hostname: null,
          key_id: null,
          status: "offline" as const,
          last_heartbeat: at,
          registered_at: at,
          updated_at: at,
        })),
      )
      .execute();
    const { agents: all } = await json<{ agents: { agent_id: string }[] }>(
      await t.admin("/agents"),
    );
    expect(all.length).toBe(24);
    const { items, pages } = await pageThrough<{ agent_id: string }>(
      t,
      "/agents?limit=5",
      "agents",
    );
    expect(pages).toBe(5);
    expect(items.map((a) => a.agent_id)).toEqual(all.map((a) => a.agent_id));
    expect(items.map((a) => a.agent_id)).toEqual(items.map((a) => a.agent_id).sort());
  });

  it("refuses a bad limit or cursor (400 naming it)", async () => {
    for (const query of ["limit=0", "limit=1001", "limit=x"]) {
      const error = await expectApiError(
        await t.admin(`/agents?${query}`),
        400,
        "validation_error",
      );
      expect(error.issues?.map((i) => i.path)).toEqual(["limit"]);
    }
    const error = await expectApiError(
      await t.admin("/agents?cursor=bm9wZQ"),
      400,
      "validation_error",
    );
    expect(error.issues?.map((i) => i.path)).toEqual(["cursor"]);
  });

  it("is for operators only (agent key 403, none 401)", async () => {
    const a = await t.registerAgent({ node_info: { node_id: "la-2" } });
    await expectApiError(await t.api("/agents", { token: a.key }), 403, "forbidden");
    await expectApiError(await t.api("/agents"), 401, "unauthorized");
  });
});
