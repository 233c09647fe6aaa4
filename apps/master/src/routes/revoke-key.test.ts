import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectApiError, json } from "../testing/expect.ts";
import { startTestMaster, type TestMaster } from "../testing/harness.ts";

describe("DELETE /keys/{id}", () => {
  let t: TestMaster;
  beforeAll(async () => {
    t = await startTestMaster({ database: "postgres" });
  });
  afterAll(() => t?.close());

  it("revokes with immediate effect on every agent route", async () => {
    const agent = await t.registerAgent({ node_info: { node_id: "rk" } });
    const heartbeat = () =>
      t.api(`/agents/${agent.agentId}/events`, {
        method: "POST",
        token: agent.key,
        json: { type: "heartbeat" },
      });
    expect((await heartbeat()).status).toBe(200);
    const { keys } = await json<{ keys: { id: string; agent_id: string }[] }>(
      await t.admin("/keys"),
    );
    const id = keys.find((k) => k.agent_id === agent.agentId)!.id;
    const revoked = await json<{ revoked_at: string | null }>(
      await t.admin(`/keys/${id}`, { method: "DELETE" }),
    );
    expect(revoked.revoked_at).toBe(t.clock.now().toISOString());
    await expectApiError(await heartbeat(), 401, "unauthorized");
    await expectApiError(
      await t.api(`/agents/${agent.agentId}/commands`, { token: agent.key }),
      401,
      "unauthorized",
    );
  });

  it("answers 404 for an unknown key and 401 without the admin token", async () => {
    await expectApiError(await t.admin("/keys/key_nope", { method: "DELETE" }), 404, "not_found");
    await expectApiError(await t.api("/keys/key_nope", { method: "DELETE" }), 401, "unauthorized");
  });
});
