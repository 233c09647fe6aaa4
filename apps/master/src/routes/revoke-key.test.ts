import { waitFor } from "@dockflow/testkit";
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

  // Agent key lookups are cached (auth/key-cache.ts); with several masters on one database a key
  // changed through one of them must reach the others' caches through the trigger's NOTIFY, well
  // inside the cache's 30 s lifetime (hence the 5 s wait).
  describe("with a second master on the same database", () => {
    let other: TestMaster;
    beforeAll(async () => {
      other = await startTestMaster({
        databaseEnv: { DATABASE_URL: t.master.config.DATABASE_URL ?? "" },
      });
    });
    afterAll(() => other?.close());

    const heartbeat = (agentId: string, key: string) =>
      t.api(`/agents/${agentId}/events`, {
        method: "POST",
        token: key,
        json: { type: "heartbeat" },
      });

    it("a key revoked through the other master stops working on this one", async () => {
      const agent = await t.registerAgent({ node_info: { node_id: "rk-other" } });
      expect((await heartbeat(agent.agentId, agent.key)).status).toBe(200);
      const { keys } = await json<{ keys: { id: string; agent_id: string }[] }>(
        await other.admin("/keys"),
      );
      const id = keys.find((k) => k.agent_id === agent.agentId)!.id;
      expect((await other.admin(`/keys/${id}`, { method: "DELETE" })).status).toBe(200);
      await waitFor(async () => (await heartbeat(agent.agentId, agent.key)).status === 401, {
        timeoutMs: 5_000,
        message: "the revoked key refused by the first master",
      });
    });

    it("a key bound by registering through the other master works on this one", async () => {
      const key = await t.issueKey("bind-elsewhere");
      const probe = () =>
        t.api("/agents/agent-bind-elsewhere/events", {
          method: "POST",
          token: key,
          json: { type: "heartbeat" },
        });
      await expectApiError(await probe(), 403, "forbidden");
      const registered = await other.api("/agents/register", {
        method: "POST",
        token: key,
        json: {
          display_name: "bound elsewhere",
          version: "2.0.0",
          mode: "standalone",
          node_info: { node_id: "bind-elsewhere" },
        },
      });
      expect(await json<{ agent_id: string }>(registered)).toMatchObject({
        agent_id: "agent-bind-elsewhere",
      });
      await waitFor(async () => (await probe()).status === 200, {
        timeoutMs: 5_000,
        message: "the newly bound key accepted by the first master",
      });
    });
  });

  it("answers 404 for an unknown key and 401 without the admin token", async () => {
    await expectApiError(await t.admin("/keys/key_nope", { method: "DELETE" }), 404, "not_found");
    await expectApiError(await t.api("/keys/key_nope", { method: "DELETE" }), 401, "unauthorized");
  });
});
