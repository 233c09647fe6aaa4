import { waitFor } from "@dockflow/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectApiError, json } from "../testing/expect.ts";
import { startTestMaster, type TestMaster } from "../testing/harness.ts";

type Commands = { commands: { id: string; action: string }[] };

describe("GET /agents/{id}/commands", () => {
  let t: TestMaster;
  let agent: { agentId: string; key: string };
  beforeAll(async () => {
    t = await startTestMaster({
      database: "postgres",
      env: { COMMAND_VISIBILITY_TIMEOUT_SECONDS: "30" },
    });
    agent = await t.registerAgent({ node_info: { node_id: "poller" } });
  });
  afterAll(() => t?.close());
  const poll = (query = "") =>
    t.api(`/agents/${agent.agentId}/commands${query}`, { token: agent.key });
  const enqueue = (tunnel: string) =>
    t.admin(`/agents/${agent.agentId}/commands`, {
      method: "POST",
      json: { commands: [{ action: "restart_tunnel", tunnel_id: tunnel }] },
    });
  const ack = (id: string) =>
    t.api(`/agents/${agent.agentId}/events`, {
      method: "POST",
      token: agent.key,
      json: { type: "command_result", command_id: id, success: true, result: { ok: true } },
    });

  it("answers at once with nothing when nothing is queued and no wait is asked", async () => {
    expect(await json<Commands>(await poll())).toEqual({ commands: [] });
  });

  it("a long poll wakes up when a command is queued", async () => {
    let answered = false;
    const pending = poll("?wait=50").then(async (r) => {
      answered = true;
      return json<Commands>(r);
    });
    // The poll is waiting (the master holds it) before the command exists.
    await waitFor(() => t.master.queue.waiting(agent.agentId) > 0, { message: "poll waiting" });
    expect(answered).toBe(false);
    const queued = await json<{ commands: { id: string }[] }>(await enqueue("t-wake"), 201);
    const { commands } = await pending;
    expect(commands.map((c) => c.id)).toEqual([queued.commands[0]!.id]);
    expect((await ack(queued.commands[0]!.id)).status).toBe(200);
  });

  it("delivers an unacknowledged command again after the visibility timeout, and not after its ack", async () => {
    const queued = await json<{ commands: { id: string }[] }>(await enqueue("t-redeliver"), 201);
    const id = queued.commands[0]!.id;
    expect((await json<Commands>(await poll())).commands.map((c) => c.id)).toEqual([id]);
    // Within the visibility timeout it is not handed out again.
    t.clock.advanceSeconds(29);
    expect((await json<Commands>(await poll())).commands).toEqual([]);
    t.clock.advanceSeconds(2);
    expect((await json<Commands>(await poll())).commands.map((c) => c.id)).toEqual([id]);
    expect((await ack(id)).status).toBe(200);
    t.clock.advanceSeconds(60);
    expect((await json<Commands>(await poll())).commands).toEqual([]);
    const detail = await json<{ pending_commands: number }>(
      await t.admin(`/agents/${agent.agentId}`),
    );
    expect(detail.pending_commands).toBe(0);
  });

  it("refuses another agent's queue (403), a revoked key (401) and a bad wait (400)", async () => {
    const other = await t.registerAgent({ node_info: { node_id: "other-poller" } });
    await expectApiError(
      await t.api(`/agents/${other.agentId}/commands`, { token: agent.key }),
      403,
      "forbidden",
    );
    await expectApiError(await poll("?wait=soon"), 400, "validation_error");
    const keys = await json<{ keys: { id: string; agent_id: string | null }[] }>(
      await t.admin("/keys"),
    );
    const otherKey = keys.keys.find((k) => k.agent_id === other.agentId)!;
    await t.admin(`/keys/${otherKey.id}`, { method: "DELETE" });
    await expectApiError(
      await t.api(`/agents/${other.agentId}/commands`, { token: other.key }),
      401,
      "unauthorized",
    );
  });
});
