import { waitFor } from "@dockflow/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listEvents } from "../src/db/repositories/event-log.ts";
import { json } from "../src/testing/expect.ts";
import { ADMIN_TOKEN, startTestMaster, type TestMaster } from "../src/testing/harness.ts";
import { openStream } from "../src/testing/sse.ts";

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

  it("puts each transition on the change stream, with the agent's view", async () => {
    const agent = await t.registerAgent({ node_info: { node_id: "sweep-stream" } });
    const stream = await openStream(t.url, { token: ADMIN_TOKEN });
    try {
      await waitFor(() => t.master.stream.size === 1);
      t.clock.advanceSeconds(91);
      await t.master.sweeper.sweep();
      const heartbeat = { type: "heartbeat" };
      for (let i = 0; i < 2; i++) {
        await t.api(`/agents/${agent.agentId}/events`, {
          method: "POST",
          token: agent.key,
          json: heartbeat,
        });
      }
      // A key issued afterwards is a marker: changes arrive in commit order, so once it is here,
      // anything the heartbeats recorded is here too. (The agent's own registration may or may not
      // be on the stream: it committed just before the stream was opened.)
      await t.api("/keys", { method: "POST", token: ADMIN_TOKEN, json: { name: "marker" } });
      await waitFor(() => stream.changes().some((c) => c.kind === "key"));
      const transitions = stream
        .changes()
        .flatMap((c) =>
          c.kind === "agent" &&
          (c.action === "offline" || c.action === "online") &&
          c.agent.agent_id === agent.agentId
            ? [`${c.action} ${c.agent.status}`]
            : [],
        );
      expect(transitions).toEqual(["offline offline", "online online"]);
    } finally {
      stream.close();
    }
  });

  it("prunes changes older than the retention, and ended sessions", async () => {
    const before = await t.master.db.selectFrom("changes").select("id").execute();
    expect(before.length).toBeGreaterThan(0);
    await t.api("/session", { method: "POST", json: { token: ADMIN_TOKEN } });
    // 24 h of retention (default) and 12 h sessions plus the day kept after they end.
    t.clock.advanceSeconds(36 * 3600 + 1);
    await t.master.sweeper.sweep();
    // What is left is what this sweep recorded (the agents it marked offline), nothing older.
    const left = await t.master.db.selectFrom("changes").select(["id", "body"]).execute();
    expect(left.map((r) => `${r.body.kind}:${r.body.action}`)).toEqual(["agent:offline"]);
    expect(await t.master.db.selectFrom("sessions").select("id_hash").execute()).toEqual([]);
    const mark = await t.master.db
      .selectFrom("changes_pruned")
      .select("through")
      .executeTakeFirst();
    let newest = 0n;
    for (const row of before) if (BigInt(row.id) > newest) newest = BigInt(row.id);
    expect(BigInt(mark?.through ?? 0) >= newest).toBe(true);
  });
});
