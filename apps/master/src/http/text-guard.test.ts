import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectApiError, json } from "../testing/expect.ts";
import { startTestMaster, type TestMaster } from "../testing/harness.ts";
import { findUnstorable } from "./text-guard.ts";

describe("findUnstorable", () => {
  it("names the first string or key PostgreSQL could not store", () => {
    expect(findUnstorable({ a: ["ok", { b: "x\u0000y" }] })).toBe("a.1.b");
    expect(findUnstorable({ "k\ud800": 1 })).toBe("k\ud800");
    expect(findUnstorable("\udc00")).toBe("(root)");
    expect(findUnstorable({ emoji: "\ud83d\ude00", text: "plain" })).toBeUndefined();
    const deep = JSON.parse(`${'{"a":'.repeat(100_000)}"x\\u0000"${"}".repeat(100_000)}`);
    expect(findUnstorable(deep)?.split(".")).toHaveLength(100_000);
  });
});

// Found by the reliability fuzzers: these reached the database and answered 500.
describe("text PostgreSQL cannot store", () => {
  let t: TestMaster;
  beforeAll(async () => {
    t = await startTestMaster({ database: "postgres" });
  });
  afterAll(() => t?.close());

  const post = (body: string | Uint8Array) =>
    t.admin("/keys", { method: "POST", headers: { "content-type": "application/json" }, body });

  it.each([
    ["a NUL character", String.raw`{"name":"key\u0000"}`],
    ["an unpaired surrogate", String.raw`{"name":"key\ud800"}`],
  ])("%s in a JSON string is a 400 naming the field", async (_what, body) => {
    const error = await expectApiError(await post(body), 400, "validation_error");
    expect(error.issues?.[0]?.path).toBe("name");
    const keys = await json<{ keys: unknown[] }>(await t.admin("/keys"));
    expect(keys.keys).toEqual([]);
  });

  it("a body that is not valid UTF-8 is a 400, not decoded lossily", async () => {
    const bytes = Buffer.concat([
      Buffer.from('{"name":"key'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"}'),
    ]);
    await expectApiError(await post(bytes), 400, "bad_request");
    const keys = await json<{ keys: unknown[] }>(await t.admin("/keys"));
    expect(keys.keys).toEqual([]);
  });

  it("a NUL in a path parameter is a 400, not a database error", async () => {
    await expectApiError(
      await t.admin("/keys/a%00b", { method: "DELETE" }),
      400,
      "validation_error",
    );
    await expectApiError(await t.admin("/keys/a%ZZb", { method: "DELETE" }), 400, "bad_request");
  });

  it("well-formed text, emoji included, still goes through", async () => {
    const key = await json<{ name: string }>(await post(JSON.stringify({ name: "edge-😀" })), 201);
    expect(key.name).toBe("edge-😀");
  });
});
