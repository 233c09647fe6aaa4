import { startWebhookReceiver, type WebhookReceiver, waitFor } from "@dockflow/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectApiError, json } from "../testing/expect.ts";
import { startTestMaster, type TestMaster } from "../testing/harness.ts";
import { verifiedPayload, WEBHOOK_SECRET } from "../testing/webhooks.ts";

describe("POST /webhooks/{id}/test", () => {
  let t: TestMaster;
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    t = await startTestMaster({ database: "postgres" });
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  it("queues a signed test event that reaches the receiver", async () => {
    const { id } = await json<{ id: string }>(
      await t.admin("/webhooks", {
        method: "POST",
        json: {
          url: receiver.url,
          events: ["agent_offline"],
          secret: WEBHOOK_SECRET,
          description: "ops",
        },
      }),
      201,
    );
    const queued = await json<{ id: string; event_id: string; status: string }>(
      await t.admin(`/webhooks/${id}/test`, { method: "POST" }),
      202,
    );
    expect(queued).toMatchObject({ event_id: expect.stringMatching(/^evt_test_/) });
    await waitFor(() => receiver.received.length === 1, { message: "the test delivery" });
    const [request] = receiver.received;
    expect(request?.headers["x-dockflow-event"]).toBe("test");
    expect(request?.headers["x-dockflow-delivery"]).toBe(queued.id);
    expect(verifiedPayload(request!, WEBHOOK_SECRET)).toEqual({
      id: queued.event_id,
      type: "test",
      at: t.clock.now().toISOString(),
      text: `[dockflow] Test notification for webhook ${id} (ops)`,
      data: { webhook_id: id },
    });
    await waitFor(
      async () => {
        const { deliveries } = await json<{ deliveries: { status: string }[] }>(
          await t.admin(`/webhooks/${id}/deliveries`),
        );
        return deliveries[0]?.status === "delivered";
      },
      { message: "the delivery marked delivered" },
    );
  });

  it("answers 404 for an unknown webhook and 401 without the token", async () => {
    await expectApiError(
      await t.admin("/webhooks/wh_nope/test", { method: "POST" }),
      404,
      "not_found",
    );
    await expectApiError(
      await t.api("/webhooks/wh_nope/test", { method: "POST" }),
      401,
      "unauthorized",
    );
  });
});
