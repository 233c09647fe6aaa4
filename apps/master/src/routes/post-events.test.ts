import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listEvents } from "../db/repositories/event-log.ts";
import { expectApiError, json, startEvent, webLabels } from "../testing/expect.ts";
import { startTestMaster, type TestMaster } from "../testing/harness.ts";

describe("POST /agents/{id}/events", () => {
  let t: TestMaster;
  let agent: { agentId: string; key: string };
  beforeAll(async () => {
    t = await startTestMaster({ database: "postgres" });
    agent = await t.registerAgent({ node_info: { node_id: "events" } });
  });
  afterAll(() => t?.close());
  const post = (event: unknown, id = agent.agentId, key = agent.key) =>
    t.api(`/agents/${id}/events`, { method: "POST", token: key, json: event });

  it("applies an event once: the same event_id again is a duplicate that changes nothing", async () => {
    const event = { ...startEvent("web", webLabels("idem.example.com")), event_id: "evt-1" };
    expect(await json(await post(event))).toEqual({ status: "accepted", duplicate: false });
    expect(await json(await post(event))).toEqual({ status: "accepted", duplicate: true });
    const log = await listEvents(t.master.db, { agentId: agent.agentId });
    expect(log.filter((e) => e.type === "container_start")).toHaveLength(1);
    expect(log.filter((e) => e.type === "rule_created")).toHaveLength(1);
  });

  it("is naturally idempotent without an event_id: a repeated start queues no second command", async () => {
    const event = startEvent("api", webLabels("api.example.com", "9000"));
    await json(await post(event));
    await t.nextCommand(agent, (c) => JSON.stringify(c.rules).includes("api.example.com"));
    await json(await post(event));
    await t.master.reconciler.run(false);
    t.clock.advanceSeconds(3600); // past any visibility timeout: anything unacknowledged would show
    const later = await json<{ commands: unknown[] }>(
      await t.api(`/agents/${agent.agentId}/commands`, { token: agent.key }),
    );
    expect(later.commands).toEqual([]);
  });

  it("records tunnel_status on the agent's tunnel once per event_id", async () => {
    await json(await post(startEvent("tun", webLabels("tun.example.com"))));
    await t.master.reconciler.run(false);
    const connector = async () =>
      (
        await json<{
          tunnel: { connector_status: string | null; connector_version: string | null };
        }>(await t.admin(`/agents/${agent.agentId}`))
      ).tunnel;
    const status = (s: string, event_id?: string) => ({
      type: "tunnel_status",
      ...(event_id ? { event_id } : {}),
      container: { name: "dockflare-agent-tunnel", status: s, version: `v-${s}` },
    });
    expect(await json(await post(status("running", "ts-1")))).toEqual({
      status: "accepted",
      duplicate: false,
    });
    expect(await connector()).toMatchObject({
      connector_status: "running",
      connector_version: "v-running",
    });
    // A redelivery with the same event_id changes nothing, even with other content.
    expect(await json(await post(status("exited", "ts-1")))).toEqual({
      status: "accepted",
      duplicate: true,
    });
    expect(await connector()).toMatchObject({ connector_status: "running" });
    // Without an event_id every report is applied.
    expect(await json(await post(status("restarting")))).toEqual({
      status: "accepted",
      duplicate: false,
    });
    expect(await connector()).toMatchObject({ connector_status: "restarting" });
    const log = await listEvents(t.master.db, { agentId: agent.agentId, type: "tunnel_status" });
    expect(log.map((e) => e.event_id)).toEqual(["ts-1", null]);
  });

  it("tunnel_status sent concurrently (written in batches) is still applied once per event_id", async () => {
    const ids = Array.from({ length: 12 }, (_, i) => `burst-${i}`);
    const answers = await Promise.all(
      [...ids, ...ids, ...ids].map(async (event_id) => ({
        event_id,
        ...(await json<{ duplicate: boolean }>(
          await post({
            type: "tunnel_status",
            event_id,
            container: { name: "dockflare-agent-tunnel", status: "running" },
          }),
        )),
      })),
    );
    for (const id of ids) {
      expect(answers.filter((a) => a.event_id === id && !a.duplicate)).toHaveLength(1);
    }
    const log = await listEvents(t.master.db, { agentId: agent.agentId, type: "tunnel_status" });
    expect(
      log
        .filter((e) => e.event_id?.startsWith("burst-"))
        .map((e) => e.event_id)
        .sort(),
    ).toEqual([...ids].sort());
  });

  it("reports labels it cannot use as warnings", async () => {
    const response = await post(
      startEvent("bad", { "dockflare.enable": "true", "dockflare.hostname": "bad host" }),
    );
    const body = await json<{ warnings: { label: string }[] }>(response);
    expect(body.warnings).toEqual([expect.objectContaining({ label: "dockflare.hostname" })]);
  });

  it("answers 400 with the path of a wrong field, and for an unknown type", async () => {
    const wrong = await expectApiError(
      await post({ type: "container_start", container: { name: "x", labels: { a: 1 } } }),
      400,
      "validation_error",
    );
    expect(wrong.issues?.map((i) => i.path)).toEqual(["container.labels.a"]);
    const unknown = await expectApiError(await post({ type: "explode" }), 400, "validation_error");
    expect(unknown.issues?.[0]?.path).toBe("type");
  });

  it("answers 404 to an acknowledgement of a command that is not this agent's", async () => {
    await expectApiError(
      await post({ type: "command_result", command_id: "cmd_nope", success: true }),
      404,
      "not_found",
    );
  });

  it("refuses another agent's events (403) and a missing key (401)", async () => {
    const other = await t.registerAgent({ node_info: { node_id: "other" } });
    await expectApiError(await post({ type: "heartbeat" }, other.agentId), 403, "forbidden");
    const anonymous = await t.api(`/agents/${agent.agentId}/events`, {
      method: "POST",
      json: { type: "heartbeat" },
    });
    await expectApiError(anonymous, 401, "unauthorized");
  });
});
