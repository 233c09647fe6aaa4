import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listEvents } from "../src/db/repositories/event-log.ts";
import { json } from "../src/testing/expect.ts";
import { startTestMaster, type TestMaster } from "../src/testing/harness.ts";

describe("offline sweep", () => {
  let t: TestMaster;
  beforeAll(async () => {
    t = await startTestMaster({ database: "postgres", env: { AGENT_OFFLINE_AFTER_SECONDS: "90" } });
  });
  afterAll(() => t?.close());
  const status = async (id: string) =>
    (await json<{ status: string }>(await t.admin(`/agents/${id}`))).status;

  it("marks a silent agent offline after 90 s and online when it heartbeats, recording both", async () => {
    const agent = await t.registerAgent({ node_info: { node_id: "sweep" } });
    t.clock.advanceSeconds(90);
    expect(await t.master.sweeper.sweep()).toEqual([]);
    expect(await status(agent.agentId)).toBe("online");
    t.clock.advanceSeconds(1);
    expect(await t.master.sweeper.sweep()).toEqual([agent.agentId]);
    expect(await status(agent.agentId)).toBe("offline");
    expect(await t.master.sweeper.sweep()).toEqual([]);

    await json(
      await t.api(`/agents/${agent.agentId}/events`, {
        method: "POST",
        token: agent.key,
        json: { type: "heartbeat" },
      }),
    );
    expect(await status(agent.agentId)).toBe("online");
    const transitions = (await listEvents(t.master.db, { agentId: agent.agentId }))
      .map((e) => e.type)
      .filter((type) => type === "agent_offline" || type === "agent_online");
    expect(transitions).toEqual(["agent_offline", "agent_online"]);
  });
});
