import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FlowCrashedData, FlowRestartLimitData, WEBHOOK_DELIVERY_HEADER } from "@dockflow/protocol";
import {
  removeLabelled,
  startWebhookReceiver,
  type WebhookReceiver,
  waitFor,
} from "@dockflow/testkit";
import { verifiedPayload } from "@dockflow/webhook-core";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ask,
  docker,
  runFlow,
  startTestManager,
  TestClient,
  type TestManager,
  uniqueName,
} from "./helpers.ts";

const SECRET = "flow-webhook-secret-0123";

describe("flow manager webhooks", () => {
  let receiver: WebhookReceiver;
  let dir: string;
  const managers: TestManager[] = [];
  const clients: TestClient[] = [];

  beforeEach(async () => {
    receiver = await startWebhookReceiver();
    dir = await mkdtemp(join(tmpdir(), "dockflow-fm-webhooks-"));
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    for (const m of managers.splice(0)) await m.close();
    await receiver.close();
    await rm(dir, { recursive: true, force: true });
  });

  afterAll(async () => {
    await removeLabelled(docker);
  });

  async function start(events: string[], env: Record<string, string> = {}) {
    const manager = await startTestManager({
      FLOW_WEBHOOKS: JSON.stringify([{ url: receiver.url, events, secret: SECRET }]),
      FLOW_WEBHOOK_DIR: dir,
      FLOW_WEBHOOK_BACKOFF_SECONDS: "1",
      FLOW_WEBHOOK_TIMEOUT_SECONDS: "5",
      ...env,
    });
    managers.push(manager);
    const client = await TestClient.connect(manager.url);
    clients.push(client);
    return { manager, client };
  }

  /** The delivery files left in the folder, parsed. */
  async function files(): Promise<Record<string, unknown>[]> {
    const names = (await readdir(dir)).filter((n) => n.endsWith(".json"));
    return Promise.all(names.map(async (n) => JSON.parse(await readFile(join(dir, n), "utf8"))));
  }

  it("sends a signed container_crashed for each crash, and restart_limit_reached when recovery gives up", async () => {
    const { manager, client } = await start(["container_crashed", "restart_limit_reached"]);
    const id = await runFlow(client, uniqueName("crash"), {
      crash_recovery: { max_restarts: 1, initial_delay_ms: 100 },
    });
    await ask(client, id, "crash", { exit_code: 3 });
    await waitFor(() => receiver.received.length === 1 || undefined, { message: "first crash" });
    // Restarted by crash recovery: crash it again, with its one restart used.
    await waitFor(async () => {
      const s = await client.ok("get_container_status", { container_id: id });
      return s.status === "running" && s.status_history.some((h) => h.status === "exited");
    });
    await ask(client, id, "crash", { exit_code: 4 });
    await waitFor(() => receiver.received.length === 3 || undefined, { message: "three hooks" });

    const received = receiver.received.map((r) => verifiedPayload(r, SECRET));
    // The second crash's two deliveries go out side by side, so they may arrive in either order.
    const payloads = [
      received[0]!,
      ...received.slice(1).sort((a, b) => a.type.localeCompare(b.type)),
    ];
    expect(payloads.map((p) => p.type)).toEqual([
      "container_crashed",
      "container_crashed",
      "restart_limit_reached",
    ]);
    const first = FlowCrashedData.parse(payloads[0]?.data);
    expect(first).toMatchObject({
      manager_id: manager.managerId,
      container_id: id,
      exit_code: 3,
      oom_killed: false,
      recovery: { attempt: 1, max_restarts: 1 },
    });
    expect(FlowCrashedData.parse(payloads[1]?.data)).toMatchObject({
      exit_code: 4,
      recovery: null,
    });
    expect(FlowRestartLimitData.parse(payloads[2]?.data)).toEqual({
      manager_id: manager.managerId,
      container_id: id,
      name: first.name,
      exit_code: 4,
      max_restarts: 1,
    });
    expect(payloads[0]?.text).toBe(
      `[dockflow] Container ${first.name} crashed on flow manager ${manager.managerId} (exit code 3); restarting (attempt 1 of 1)`,
    );
    expect(new Set(payloads.map((p) => p.id)).size).toBe(3);
    expect(receiver.received[0]?.headers["x-dockflow-event"]).toBe("container_crashed");
    await waitFor(async () => ((await files()).length === 0 ? true : undefined));
  });

  it("retries a delivery the receiver answered 500, with the same id and body, until it is taken", async () => {
    let answered = 0;
    receiver.answer(() => (++answered <= 2 ? 500 : 204));
    const { client } = await start(["container_crashed"]);
    const id = await runFlow(client, uniqueName("retry"));
    await ask(client, id, "crash", { exit_code: 5 });
    await waitFor(() => receiver.received.length === 3 || undefined, { message: "3 attempts" });
    const deliveries = receiver.received.map((r) => r.headers[WEBHOOK_DELIVERY_HEADER]);
    expect(new Set(deliveries).size).toBe(1);
    expect(new Set(receiver.received.map((r) => r.body)).size).toBe(1);
    expect(verifiedPayload(receiver.received[2]!, SECRET).type).toBe("container_crashed");
    await waitFor(async () => ((await files()).length === 0 ? true : undefined));
    expect(receiver.received).toHaveLength(3);
  });

  it("gives up after the retry window and marks the delivery failed in its file", async () => {
    receiver.answer(500);
    // Attempts at 0 s and 1 s; the next (3 s) would fall outside the 2 s window.
    const { client } = await start(["container_crashed"], { FLOW_WEBHOOK_RETRY_SECONDS: "2" });
    const id = await runFlow(client, uniqueName("giveup"));
    await ask(client, id, "crash", { exit_code: 6 });
    const [failed] = await waitFor(async () => {
      const found = await files();
      return found[0]?.status === "failed" ? found : undefined;
    });
    expect(failed).toMatchObject({
      event: "container_crashed",
      status: "failed",
      attempts: 2,
      last_status_code: 500,
      last_error: "receiver answered HTTP 500",
    });
    expect(JSON.stringify(failed)).not.toContain(SECRET);
    expect(receiver.received).toHaveLength(2);
  });
});
