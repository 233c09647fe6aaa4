import { startWebhookReceiver, type WebhookReceiver, waitFor } from "@dockflow/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectApiError, json } from "../testing/expect.ts";
import { startTestMaster, type TestMaster } from "../testing/harness.ts";
import { WEBHOOK_SECRET } from "../testing/webhooks.ts";

interface Delivery {
  id: string;
  event: string;
  status: string;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  next_attempt_at: string | null;
  delivered_at: string | null;
}

describe("GET /webhooks/{id}/deliveries", () => {
  let t: TestMaster;
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    t = await startTestMaster({ database: "postgres", env: { WEBHOOK_BACKOFF_SECONDS: "30" } });
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  it("shows each delivery's status, attempts and last error, newest first, filtered by status", async () => {
    const { id } = await json<{ id: string }>(
      await t.admin("/webhooks", {
        method: "POST",
        json: { url: receiver.url, events: ["agent_online"], secret: WEBHOOK_SECRET },
      }),
      201,
    );
    const list = async (query = "") =>
      (await json<{ deliveries: Delivery[] }>(await t.admin(`/webhooks/${id}/deliveries${query}`)))
        .deliveries;
    const first = await json<{ id: string }>(
      await t.admin(`/webhooks/${id}/test`, { method: "POST" }),
      202,
    );
    await waitFor(async () => (await list())[0]?.status === "delivered", {
      message: "the first delivery delivered",
    });
    receiver.answer(500);
    t.clock.advanceSeconds(1);
    const second = await json<{ id: string }>(
      await t.admin(`/webhooks/${id}/test`, { method: "POST" }),
      202,
    );
    await waitFor(async () => (await list())[0]?.attempts === 1, {
      message: "the second delivery attempted",
    });
    const deliveries = await list();
    expect(deliveries.map((d) => d.id)).toEqual([second.id, first.id]);
    expect(deliveries[0]).toMatchObject({
      event: "test",
      status: "pending",
      attempts: 1,
      last_status_code: 500,
      last_error: "receiver answered HTTP 500",
      next_attempt_at: new Date(t.clock.now().getTime() + 30_000).toISOString(),
      delivered_at: null,
    });
    expect(deliveries[1]).toMatchObject({
      status: "delivered",
      attempts: 1,
      last_status_code: 200,
      last_error: null,
      next_attempt_at: null,
    });
    expect((await list("?status=delivered")).map((d) => d.id)).toEqual([first.id]);
    expect((await list("?status=pending&limit=5")).map((d) => d.id)).toEqual([second.id]);
  });

  it("answers 404 for an unknown webhook, 400 for a bad filter, 401 without the token", async () => {
    await expectApiError(await t.admin("/webhooks/wh_nope/deliveries"), 404, "not_found");
    const { id } = await json<{ id: string }>(
      await t.admin("/webhooks", {
        method: "POST",
        json: { url: receiver.url, events: ["agent_online"], secret: WEBHOOK_SECRET },
      }),
      201,
    );
    await expectApiError(
      await t.admin(`/webhooks/${id}/deliveries?status=lost`),
      400,
      "validation_error",
    );
    await expectApiError(await t.api(`/webhooks/${id}/deliveries`), 401, "unauthorized");
  });
});
