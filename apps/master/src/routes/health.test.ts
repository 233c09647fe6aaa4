import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { json } from "../testing/expect.ts";
import { startTestMaster, type TestMaster } from "../testing/harness.ts";

describe("GET /health", () => {
  let t: TestMaster;
  beforeAll(async () => {
    t = await startTestMaster({ database: "postgres" });
  });
  afterAll(() => t?.close());

  it("reports the master and its database without credentials, at /health and /api/v2/health", async () => {
    expect(await json(await t.api("/health"))).toEqual({ status: "ok", database: "ok" });
    expect(await json(await fetch(`${t.url}/health`))).toEqual({ status: "ok", database: "ok" });
  });

  it("answers 503 once the database is gone", async () => {
    await t.master.db.destroy();
    expect(await json(await fetch(`${t.url}/health`), 503)).toEqual({
      status: "unavailable",
      database: "unavailable",
    });
  });
});
