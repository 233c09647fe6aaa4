import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectApiError, json } from "../testing/expect.ts";
import { startTestMaster, type TestMaster } from "../testing/harness.ts";

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
    const { agents } = await json<{ agents: Record<string, unknown>[] }>(await t.admin("/agents"));
    expect(agents).toEqual([
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
    ]);
  });

  it("is for operators only (agent key 403, none 401)", async () => {
    const a = await t.registerAgent({ node_info: { node_id: "la-2" } });
    await expectApiError(await t.api("/agents", { token: a.key }), 403, "forbidden");
    await expectApiError(await t.api("/agents"), 401, "unauthorized");
  });
});
