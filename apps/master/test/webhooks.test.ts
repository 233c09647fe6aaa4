import { startWebhookReceiver, type WebhookReceiver, waitFor } from "@dockflow/testkit";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { json, startEvent, webLabels } from "../src/testing/expect.ts";
import { startTestMaster, type TestMaster } from "../src/testing/harness.ts";
import { verifiedPayload, WEBHOOK_SECRET } from "../src/testing/webhooks.ts";

interface Delivery {
  event_id: string;
  event: string;
  status: string;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
}

// Retries after 10 s, then 20 s, 40 s...; given up 60 s after the delivery was queued.
const ENV = { WEBHOOK_RETRY_SECONDS: "60", WEBHOOK_BACKOFF_SECONDS: "10" };

describe("webhooks from the change stream (PostgreSQL)", () => {
  let t: TestMaster;
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    t = await startTestMaster({ database: "postgres", env: ENV });
  });
  afterAll(() => t?.close());
  afterEach(() => receiver?.close());

  const subscribe = async (events: string[]) =>
    (
      await json<{ id: string }>(
        await t.admin("/webhooks", {
          method: "POST",
          json: { url: receiver.url, events, secret: WEBHOOK_SECRET },
        }),
        201,
      )
    ).id;
  const deliveries = async (id: string) =>
    (await json<{ deliveries: Delivery[] }>(await t.admin(`/webhooks/${id}/deliveries`)))
      .deliveries;
  /** Lets the clock pass and has the deliverer look for due retries. */
  const retryAfter = async (seconds: number) => {
    await t.master.deliverer.settled(); // the attempt under way is recorded first
    t.clock.advanceSeconds(seconds);
    t.master.deliverer.wake();
    await t.master.deliverer.settled();
  };

  it("a published hostname, an agent going offline (retried after 500s) and back", async () => {
    receiver = await startWebhookReceiver();
    const id = await subscribe(["hostname_published", "agent_offline", "agent_online"]);
    const agent = await t.registerAgent({ display_name: "edge", node_info: { node_id: "wh-1" } });
    await json(
      await t.api(`/agents/${agent.agentId}/events`, {
        method: "POST",
        token: agent.key,
        json: startEvent("web", webLabels("shop.example.com")),
      }),
    );
    await waitFor(() => receiver.received.length === 1, { message: "hostname_published" });
    const published = verifiedPayload(receiver.received[0]!, WEBHOOK_SECRET);
    expect(published).toMatchObject({
      type: "hostname_published",
      text: `[dockflow] shop.example.com is published (http://web:8080, agent ${agent.agentId})`,
      data: { rule: { hostname: "shop.example.com", agent_id: agent.agentId } },
    });

    receiver.answer(500);
    t.clock.advanceSeconds(91);
    expect(await t.master.sweeper.sweep()).toEqual([agent.agentId]);
    await waitFor(() => receiver.received.length === 2, { message: "agent_offline, first try" });
    await retryAfter(10);
    expect(receiver.received).toHaveLength(3);
    receiver.answer(200);
    await retryAfter(19); // the third attempt is due 20 s after the second
    expect(receiver.received).toHaveLength(3);
    await retryAfter(1);
    expect(receiver.received).toHaveLength(4);
    const tries = receiver.received.slice(1).map((r) => verifiedPayload(r, WEBHOOK_SECRET));
    expect(new Set(tries.map((p) => p.id)).size).toBe(1);
    expect(tries[0]).toMatchObject({
      type: "agent_offline",
      text: expect.stringMatching(/^\[dockflow\] Agent edge \(agent-wh-1\) is offline/),
    });
    expect((await deliveries(id))[0]).toMatchObject({
      event_id: tries[0]?.id,
      event: "agent_offline",
      status: "delivered",
      attempts: 3,
      last_status_code: 200,
      last_error: null,
    });

    await json(
      await t.api(`/agents/${agent.agentId}/events`, {
        method: "POST",
        token: agent.key,
        json: { type: "heartbeat" },
      }),
    );
    await waitFor(() => receiver.received.length === 5, { message: "agent_online" });
    expect(verifiedPayload(receiver.received[4]!, WEBHOOK_SECRET)).toMatchObject({
      type: "agent_online",
      text: "[dockflow] Agent edge (agent-wh-1) is back online",
    });
  });

  it("only the events a webhook wants reach it", async () => {
    receiver = await startWebhookReceiver();
    await subscribe(["hostname_removed"]);
    const agent = await t.registerAgent({ node_info: { node_id: "wh-2" } });
    await json(
      await t.api(`/agents/${agent.agentId}/events`, {
        method: "POST",
        token: agent.key,
        json: startEvent("api", webLabels("api.example.com")),
      }),
    );
    expect((await t.admin(`/agents/${agent.agentId}`, { method: "DELETE" })).status).toBe(204);
    await waitFor(() => receiver.received.length === 1, { message: "hostname_removed" });
    expect(verifiedPayload(receiver.received[0]!, WEBHOOK_SECRET)).toMatchObject({
      type: "hostname_removed",
      data: { hostname: "api.example.com", path: null, agent_id: agent.agentId },
    });
  });

  it("gives up after the retry window and marks the delivery failed", async () => {
    receiver = await startWebhookReceiver();
    receiver.answer(503);
    const id = await subscribe(["agent_online"]);
    await json(await t.admin(`/webhooks/${id}/test`, { method: "POST" }), 202);
    await waitFor(() => receiver.received.length === 1, { message: "the first attempt" });
    await retryAfter(10);
    await retryAfter(20);
    // The fourth attempt would be 40 s later, 70 s after queueing: past the 60 s window.
    const [failed] = await deliveries(id);
    expect(failed).toMatchObject({
      status: "failed",
      attempts: 3,
      last_status_code: 503,
      last_error: "receiver answered HTTP 503",
    });
    await retryAfter(3600);
    expect(receiver.received).toHaveLength(3);
  });
});
