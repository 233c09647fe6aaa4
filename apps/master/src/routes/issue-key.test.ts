import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectApiError, json } from "../testing/expect.ts";
import { startTestMaster, type TestMaster } from "../testing/harness.ts";

describe("POST /keys", () => {
  let t: TestMaster;
  beforeAll(async () => {
    t = await startTestMaster({ database: "postgres" });
  });
  afterAll(() => t?.close());

  it("issues a key once: the response carries it, the store only its hash", async () => {
    const response = await t.admin("/keys", { method: "POST", json: { name: "worker-1" } });
    const issued = await json<{ id: string; name: string; key: string; created_at: string }>(
      response,
      201,
    );
    expect(issued).toEqual({
      id: expect.stringMatching(/^key_/),
      name: "worker-1",
      key: expect.stringMatching(/^dfa_[A-Za-z0-9_-]{43}$/),
      created_at: expect.any(String),
    });
    expect(response.headers.get("cache-control")).toBe("no-store");
    const stored = await t.master.db.selectFrom("agent_keys").selectAll().execute();
    expect(JSON.stringify(stored)).not.toContain(issued.key);
    const listed = await (await t.admin("/keys")).text();
    expect(listed).not.toContain(issued.key);
    // The key works for registration.
    const registered = await t.api("/agents/register", {
      method: "POST",
      token: issued.key,
      json: { display_name: "w", version: "1", mode: "standalone" },
    });
    expect(registered.status).toBe(200);
  });

  it("answers 400 without a name and 403 to an agent key", async () => {
    const error = await expectApiError(
      await t.admin("/keys", { method: "POST", json: {} }),
      400,
      "validation_error",
    );
    expect(error.issues?.[0]?.path).toBe("name");
    const agent = await t.registerAgent();
    await expectApiError(
      await t.api("/keys", { method: "POST", token: agent.key, json: { name: "x" } }),
      403,
      "forbidden",
    );
  });
});
