import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { expectApiError, json } from "../testing/expect.ts";
import { startTestMaster, type TestMaster } from "../testing/harness.ts";

const body = {
  display_name: "worker",
  version: "2.0.0",
  mode: "swarm",
  node_info: { node_id: "node-a", node_role: "worker" },
};

describe("POST /agents/register", () => {
  let t: TestMaster;
  beforeAll(async () => {
    t = await startTestMaster({
      database: "postgres",
      env: { REGISTER_RATE_LIMIT_PER_MINUTE: "8" },
    });
  });
  afterAll(() => t?.close());
  // Each test starts with fresh rate-limit windows.
  beforeEach(() => t.clock.advanceSeconds(61));
  const register = (key: string | undefined, json: unknown) =>
    t.api("/agents/register", { method: "POST", ...(key ? { token: key } : {}), json });

  it("binds the key to a new agent and gives the same id back every time", async () => {
    const key = await t.issueKey("a");
    const first = await json<{ agent_id: string }>(await register(key, body));
    expect(first.agent_id).toBe("agent-node-a");
    const again = await json<{ agent_id: string }>(
      await register(key, { ...body, display_name: "renamed" }),
    );
    expect(again.agent_id).toBe("agent-node-a");
    const agent = await json<{ display_name: string }>(await t.admin("/agents/agent-node-a"));
    expect(agent.display_name).toBe("renamed");
    const withStoredId = await register(key, { ...body, agent_id: "agent-node-a" });
    expect((await json<{ agent_id: string }>(withStoredId)).agent_id).toBe("agent-node-a");
    const keys = await json<{ keys: { agent_id: string | null }[] }>(await t.admin("/keys"));
    expect(keys.keys.find((k) => k.agent_id === "agent-node-a")).toBeDefined();
  });

  it("gives a second node with the same node id a different identity", async () => {
    const key = await t.issueKey("b");
    const other = await json<{ agent_id: string }>(await register(key, body));
    expect(other.agent_id).not.toBe("agent-node-a");
    expect(other.agent_id).toMatch(/^agent-/);
  });

  it("refuses a key bound to one agent for another agent id (403)", async () => {
    const key = await t.issueKey("c");
    await json(await register(key, { ...body, node_info: { node_id: "node-c" } }));
    await expectApiError(
      await register(key, { ...body, agent_id: "agent-node-a" }),
      403,
      "forbidden",
    );
  });

  it("refuses a fresh key for an agent id that still has a live key (403)", async () => {
    const key = await t.issueKey("d");
    await expectApiError(
      await register(key, { ...body, agent_id: "agent-node-a" }),
      403,
      "forbidden",
    );
  });

  it("answers 401 without a key, with an unknown key and with a revoked key", async () => {
    await expectApiError(await register(undefined, body), 401, "unauthorized");
    await expectApiError(await register("dfa_not-a-key", body), 401, "unauthorized");
    const issued = await t.master.keys.issue("e");
    await t.master.keys.revoke(issued.id);
    await expectApiError(await register(issued.key, body), 401, "unauthorized");
  });

  it("answers 400 naming the wrong fields, and for malformed JSON", async () => {
    const key = await t.issueKey("f");
    const wrong = await expectApiError(
      await register(key, { ...body, mode: "kubernetes", node_info: { node_role: 3 } }),
      400,
      "validation_error",
    );
    expect(wrong.issues?.map((i) => i.path).sort()).toEqual(["mode", "node_info.node_role"]);
    const malformed = await t.api("/agents/register", {
      method: "POST",
      token: key,
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    const error = await expectApiError(malformed, 400, "bad_request");
    expect(error.message).toMatch(/malformed JSON/);
  });

  it("rate limits registrations per client address (429 with retry_after)", async () => {
    const key = await t.issueKey("g");
    let limited: Response | undefined;
    for (let i = 0; i < 10 && !limited; i++) {
      const response = await register(key, body);
      if (response.status === 429) limited = response;
      else await response.body?.cancel();
    }
    expect(limited).toBeDefined();
    const error = await expectApiError(limited!, 429, "rate_limited");
    expect(error.retry_after).toBeGreaterThan(0);
    expect(limited!.headers.get("retry-after")).toBe(String(error.retry_after));
    t.clock.advanceSeconds(61);
    expect((await register(key, body)).status).toBe(200);
  });
});
