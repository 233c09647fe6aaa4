import { pino } from "pino";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { ActivityLog } from "./activity-log.ts";
import { ClientRegistry } from "./clients.ts";
import { createFlowMetrics } from "./metrics.ts";
import { Notifier } from "./notifier.ts";
import { emptyUsage, type TrackedContainer } from "./status-store.ts";

const container: TrackedContainer = {
  id: "c".repeat(64),
  name: "worker",
  image: "flow:latest",
  labels: {},
  state: "exited",
  health: "none",
  createdAt: "2026-11-30T01:00:00.000Z",
  startedAt: null,
  finishedAt: null,
  restartCount: 0,
  exitCode: 3,
  oomKilled: false,
  error: null,
  history: [],
  usage: emptyUsage(),
  socketDir: null,
  crashRecovery: null,
  restartPolicy: "",
};

/** A notifier over two recording clients, "a" and "b". */
function setup(liveMessageActivity = false) {
  const sent: { to: string; event: string; payload: Record<string, unknown> }[] = [];
  const clients = new ClientRegistry();
  for (const id of ["a", "b"]) {
    clients.add({
      id,
      emit: (event: string, payload: unknown) =>
        sent.push({ to: id, event, payload: payload as Record<string, unknown> }),
    });
  }
  const activity = new ActivityLog({
    size: 100,
    log: pino({ level: "silent" }),
    publish: (entry, audience) => clients.emitToMany(audience, "activity_log", entry),
  });
  const hooked: { event: string; data: unknown }[] = [];
  const webhooks = { notify: (event: string, data: unknown) => hooked.push({ event, data }) };
  const metrics = createFlowMetrics(new Registry());
  const notifier = new Notifier({ clients, activity, liveMessageActivity, webhooks, metrics });
  const events = () => sent.map((s) => `${s.to}:${s.event}`);
  return { notifier, activity, clients, sent, events, hooked, metrics };
}

describe("Notifier", () => {
  it("pushes a crash with its recovery plan to everyone, counts it and records the crash and the plan", async () => {
    const { notifier, activity, sent, events, metrics } = setup();
    notifier.crashed(container, 3, { attempt: 1, max_restarts: 2, delay_ms: 100 });
    expect((await metrics.crashes.get()).values.map((v) => v.value)).toEqual([1]);
    expect(events()).toEqual([
      "a:container_crashed",
      "b:container_crashed",
      "a:activity_log",
      "b:activity_log",
      "a:activity_log",
      "b:activity_log",
    ]);
    expect(sent[0]?.payload).toMatchObject({
      container_id: container.id,
      exit_code: 3,
      oom_killed: false,
      error: null,
      recovery: { attempt: 1, max_restarts: 2, delay_ms: 100 },
    });
    expect(activity.recent(10).map((e) => [e.activity_type, e.message])).toEqual([
      ["container_crashed", "container worker crashed (exit code 3)"],
      ["crash_recovery", "restarting worker in 100 ms (attempt 1 of 2)"],
    ]);
  });

  it("hands crashes, a used-up restart limit and turning unhealthy to the webhooks, and nothing else", () => {
    const { notifier, activity, sent, hooked } = setup();
    notifier.crashed(container, 3, null);
    notifier.restartLimitReached(container, 3, 2);
    notifier.healthWarning(container, { warning_type: "cpu_high", message: "cpu at 95%" });
    notifier.healthWarning(container, { warning_type: "unhealthy", message: "check failing" });
    notifier.statusChanged(container, "running");
    expect(hooked).toEqual([
      { event: "container_crashed", data: sent[0]?.payload },
      {
        event: "restart_limit_reached",
        data: { container_id: container.id, name: "worker", exit_code: 3, max_restarts: 2 },
      },
      {
        event: "container_unhealthy",
        data: { container_id: container.id, name: "worker", message: "check failing" },
      },
    ]);
    expect(activity.recent(10)[1]).toMatchObject({
      activity_type: "crash_recovery",
      message: "gave up restarting worker after 2 automatic restarts",
    });
  });

  it("keeps message traffic out of live pushes unless FLOW_LIVE_MESSAGE_ACTIVITY, but always in history", () => {
    const relayed = { container, clientId: "a", requestId: "r1", messageId: "m-1" };
    const quiet = setup(false);
    quiet.notifier.messageSent(relayed, "process");
    quiet.notifier.messageReceived(relayed, { command: "result", data: 1, reply_to: "m-1" });
    expect(quiet.events()).toEqual(["a:message_received"]);
    expect(quiet.sent[0]?.payload).toMatchObject({
      request_id: "r1",
      message: { command: "result", data: 1, reply_to: "m-1" },
    });
    expect(quiet.activity.recent(10).map((e) => e.activity_type)).toEqual([
      "message_sent",
      "message_received",
    ]);

    const live = setup(true);
    live.notifier.messageSent(relayed, "process");
    expect(live.events()).toEqual(["a:activity_log"]);
  });

  it("sends unasked messages to the container's owners only", () => {
    const { notifier, clients, events } = setup(true);
    clients.noteOwner("b", container.id);
    notifier.unaskedMessage(container.id, { command: "tick", data: null });
    expect(events()).toEqual(["b:message_received", "b:activity_log"]);
  });

  it("tells a failed request's client only, with the operation in the audit entry", () => {
    const { notifier, activity, events } = setup();
    notifier.requestFailed("b", "stop_container", {
      error_type: "container_not_found",
      message: "no managed container",
      details: { container_id: "x" },
    });
    expect(events()).toEqual(["b:error", "b:activity_log"]);
    expect(activity.recent(1)[0]).toMatchObject({
      activity_type: "error",
      container_id: "x",
      client_id: "b",
      details: { operation: "stop_container", error_type: "container_not_found" },
    });
  });
});
