import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectApiError, json } from "../testing/expect.ts";
import { startTestMaster, type TestMaster } from "../testing/harness.ts";
import { pageThrough } from "../testing/pages.ts";

describe("GET /keys", () => {
  let t: TestMaster;
  beforeAll(async () => {
    t = await startTestMaster({ database: "postgres" });
  });
  afterAll(() => t?.close());

  it("lists keys with their binding and revocation, never the key", async () => {
    const agent = await t.registerAgent({ node_info: { node_id: "lk" } });
    const unbound = await t.master.keys.issue("spare");
    const { keys } = await json<{ keys: Record<string, unknown>[] }>(await t.admin("/keys"));
    expect(keys).toHaveLength(2);
    expect(keys).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ agent_id: agent.agentId, revoked_at: null }),
        expect.objectContaining({
          id: unbound.id,
          name: "spare",
          agent_id: null,
          revoked_at: null,
        }),
      ]),
    );
    expect(keys.every((k) => !("key" in k) && !("key_hash" in k))).toBe(true);
  });

  it("pages through keys issued in the same instant, each exactly once, oldest first", async () => {
    const issued: string[] = [];
    for (let i = 0; i < 9; i++) issued.push((await t.master.keys.issue(`same-${i}`)).id);
    t.clock.advanceSeconds(1);
    for (let i = 0; i < 3; i++) issued.push((await t.master.keys.issue(`later-${i}`)).id);
    const { items, pages } = await pageThrough<{ id: string; created_at: string }>(
      t,
      "/keys?limit=4",
      "keys",
    );
    expect(pages).toBe(4);
    const ids = items.map((k) => k.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining(issued));
    // Oldest first; within one instant by id.
    const order = items.map((k) => `${k.created_at} ${k.id}`);
    expect(order).toEqual([...order].sort());
    expect(ids.slice(-3).sort()).toEqual(issued.slice(-3).sort());
  });

  it("answers 401 without the admin token", async () => {
    await expectApiError(await t.api("/keys"), 401, "unauthorized");
    await expectApiError(
      await t.api("/keys", { token: "wrong-admin-token-xxxxxxx" }),
      401,
      "unauthorized",
    );
  });
});
