import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectApiError, json } from "../testing/expect.ts";
import { startTestMaster, type TestMaster } from "../testing/harness.ts";
import { WEBHOOK_SECRET } from "../testing/webhooks.ts";

describe("GET /webhooks", () => {
  let t: TestMaster;
  beforeAll(async () => {
    t = await startTestMaster({ database: "postgres" });
  });
  afterAll(() => t?.close());

  it("lists the webhooks oldest first, without secrets", async () => {
    expect(await json(await t.admin("/webhooks"))).toEqual({ webhooks: [] });
    for (const url of ["http://127.0.0.1:1/a", "http://127.0.0.1:1/b"]) {
      await json(
        await t.admin("/webhooks", {
          method: "POST",
          json: { url, events: ["agent_online"], secret: WEBHOOK_SECRET },
        }),
        201,
      );
      t.clock.advanceSeconds(1);
    }
    const response = await t.admin("/webhooks");
    const text = await response.text();
    expect(text).not.toContain(WEBHOOK_SECRET);
    const { webhooks } = JSON.parse(text) as { webhooks: { url: string }[] };
    expect(webhooks.map((w) => w.url)).toEqual(["http://127.0.0.1:1/a", "http://127.0.0.1:1/b"]);
  });

  it("answers 401 without the admin token", async () => {
    await expectApiError(await t.api("/webhooks"), 401, "unauthorized");
  });
});
