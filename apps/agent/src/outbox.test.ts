import type { AgentEvent } from "@dockflow/protocol";
import { waitFor } from "@dockflow/testkit";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { MasterError } from "./master-client.ts";
import { admit, classifyFailure, Outbox } from "./outbox.ts";

const result = (id: string): AgentEvent => ({
  type: "command_result",
  command_id: id,
  success: true,
});
const heartbeat = (id: string): AgentEvent => ({ type: "heartbeat", event_id: id });
const report = (id: string): AgentEvent => ({
  type: "status_report",
  event_id: id,
  container: { containers: [] },
});
const label = (e: AgentEvent) =>
  e.type === "command_result" ? e.command_id : `${e.type}:${e.event_id}`;

function fill(events: AgentEvent[], capacity: number) {
  let queue: AgentEvent[] = [];
  let dropped = 0;
  for (const event of events) {
    const next = admit(queue, event, capacity);
    queue = next.queue;
    dropped += next.dropped;
  }
  return { queue: queue.map(label), dropped };
}

describe("admit", () => {
  it("keeps the head and the newest events when full, in order", () => {
    const events = Array.from({ length: 25 }, (_, i) => result(`c${i}`));
    expect(fill(events, 10)).toEqual({
      queue: ["c0", ...Array.from({ length: 9 }, (_, i) => `c${16 + i}`)],
      dropped: 15,
    });
    expect(fill(events.slice(0, 10), 10)).toEqual({
      queue: events.slice(0, 10).map(label),
      dropped: 0,
    });
  });

  it("replaces an older queued heartbeat or status report with the newest, keeping others", () => {
    const events = [
      result("first"),
      heartbeat("h1"),
      report("r1"),
      result("middle"),
      heartbeat("h2"),
      report("r2"),
      heartbeat("h3"),
    ];
    expect(fill(events, 100)).toEqual({
      queue: ["first", "middle", "status_report:r2", "heartbeat:h3"],
      dropped: 0,
    });
  });

  it("never replaces the head, which may be in flight", () => {
    expect(fill([heartbeat("h1"), heartbeat("h2"), heartbeat("h3")], 100).queue).toEqual([
      "heartbeat:h1",
      "heartbeat:h3",
    ]);
  });

  it("leaves the queue it was given unchanged", () => {
    const queue = [result("a"), heartbeat("h1")];
    admit(queue, heartbeat("h2"), 1);
    expect(queue.map(label)).toEqual(["a", "heartbeat:h1"]);
  });
});

describe("classifyFailure", () => {
  const error = (status: number, retryAfter?: number) =>
    new MasterError(status, "code", `status ${status}`, retryAfter);

  it("registers again on 401 and on a first 404, and drops a head that gets 404 again", () => {
    expect(classifyFailure(error(401), false)).toEqual({ kind: "reregister", status: 401 });
    expect(classifyFailure(error(401), true)).toEqual({ kind: "reregister", status: 401 });
    expect(classifyFailure(error(404), false)).toEqual({ kind: "reregister", status: 404 });
    expect(classifyFailure(error(404), true)).toEqual({ kind: "unplaceable", status: 404 });
  });

  it("drops an event the master refuses for good", () => {
    for (const status of [400, 403, 409, 413, 422]) {
      expect(classifyFailure(error(status), false)).toEqual({
        kind: "rejected",
        status,
        message: `status ${status}`,
      });
    }
  });

  it("retries network errors, 408, 429 and 5xx, after Retry-After when the master sent one", () => {
    for (const status of [0, 408, 429, 500, 503]) {
      expect(classifyFailure(error(status), false)).toEqual({
        kind: "retry",
        retryAfterMs: undefined,
        message: `status ${status}`,
      });
    }
    expect(classifyFailure(error(429, 7), false)).toEqual({
      kind: "retry",
      retryAfterMs: 7000,
      message: "status 429",
    });
    expect(classifyFailure(new Error("socket hang up"), true)).toEqual({
      kind: "retry",
      retryAfterMs: undefined,
      message: "socket hang up",
    });
  });
});

/** An outbox that delivers through `send` as agent-1; stop it with `done()`. */
function outboxWith(send: (agentId: string, event: AgentEvent) => Promise<void>) {
  const controller = new AbortController();
  const outbox = new Outbox({
    capacity: 10,
    agentId: async () => "agent-1",
    send,
    reregister: () => undefined,
    log: pino({ level: "silent" }),
    signal: controller.signal,
  });
  const done = async () => {
    controller.abort();
    await outbox.close();
  };
  return { outbox, done };
}

describe("Outbox", () => {
  it("drops a rejected event and delivers the rest in order, once each", async () => {
    const attempts: string[] = [];
    const { outbox, done } = outboxWith(async (agentId, event) => {
      const id = label(event);
      attempts.push(`${agentId}:${id}`);
      if (id === "bad") throw new MasterError(422, "validation_error", "bad event");
    });
    outbox.push(result("a"));
    outbox.push(result("bad"));
    outbox.push(result("b"));
    outbox.start();
    await outbox.idle();
    expect(attempts).toEqual(["agent-1:a", "agent-1:bad", "agent-1:b"]);
    expect(outbox.delivered).toBe(2);
    expect(outbox.size).toBe(0);
    await done();
  });

  it("fills in event_id and timestamp only when the event has none", async () => {
    const sent: AgentEvent[] = [];
    const { outbox, done } = outboxWith(async (_id, event) => {
      sent.push(event);
    });
    outbox.start();
    outbox.push({ type: "heartbeat", event_id: "given", timestamp: "2026-01-01T00:00:00.000Z" });
    outbox.push({ type: "command_result", command_id: "x", success: true });
    await waitFor(() => sent.length === 2, { message: "both delivered" });
    expect(sent[0]).toMatchObject({ event_id: "given", timestamp: "2026-01-01T00:00:00.000Z" });
    expect(sent[1]?.event_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(sent[1]?.timestamp ?? "")).not.toBeNaN();
    await done();
  });
});
