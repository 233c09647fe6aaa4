import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectApiError, json } from "../testing/expect.ts";
import { startTestMaster, type TestMaster } from "../testing/harness.ts";
import { WEBHOOK_SECRET } from "../testing/webhooks.ts";

describe("DELETE /webhooks/{id}", () => {
  let t: TestMaster;
  beforeAll(async () => {
    t = await startTestMaster({ database: "postgres" });
  });
  afterAll(() => t?.close());

  it("removes the webhook and its deliveries", async () => {
    // fetch refuses port 9 (a "bad port"): the test delivery fails and stays queued for a retry.
    const { id } = await json<{ id: string }>(
      await t.admin("/webhooks", {
        method: "POST",
        json: { url: "http://127.0.0.1:9/", events: ["agent_online"], secret: WEBHOOK_SECRET },
      }),
      201,
    );
    await json(await t.admin(`/webhooks/${id}/test`, { method: "POST" }), 202);
    expect((await t.admin(`/webhooks/${id}`, { method: "DELETE" })).status).toBe(204);
    expect(await json(await t.admin("/webhooks"))).toEqual({ webhooks: [] });
    const left = await t.master.db.selectFrom("webhook_deliveries").selectAll().execute();
    expect(left).toEqual([]);
  });

  it("answers 404 for an unknown webhook, 400 for a malformed id, 401 without the token", async () => {
    await expectApiError(
      await t.admin("/webhooks/wh_nope", { method: "DELETE" }),
      404,
      "not_found",
    );
    await expectApiError(
      await t.admin("/webhooks/nope", { method: "DELETE" }),
      400,
      "validation_error",
    );
    await expectApiError(
      await t.api("/webhooks/wh_nope", { method: "DELETE" }),
      401,
      "unauthorized",
    );
  });
});
