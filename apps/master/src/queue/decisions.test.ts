import { describe, expect, it } from "vitest";
import { ackDecision, pollWaitMs } from "./decisions.ts";

describe("ackDecision", () => {
  const at = new Date("2026-11-30T00:00:00Z");

  it("acknowledges the agent's own command once", () => {
    expect(ackDecision({ agent_id: "a", acked_at: null }, "a")).toBe("acknowledge");
    expect(ackDecision({ agent_id: "a", acked_at: at }, "a")).toBe("already_acknowledged");
  });

  it("treats another agent's command like a missing one, acknowledged or not", () => {
    expect(ackDecision({ agent_id: "a", acked_at: null }, "b")).toBe("unknown");
    expect(ackDecision({ agent_id: "a", acked_at: at }, "b")).toBe("unknown");
    expect(ackDecision(undefined, "a")).toBe("unknown");
  });
});

describe("pollWaitMs", () => {
  const now = new Date("2026-11-30T00:00:00.000Z");
  const base = {
    remainingMs: 25_000,
    nextVisibleAt: undefined,
    now,
    notifierHealthy: true,
    fallbackRecheckMs: 2_000,
  };

  it("sleeps for the rest of the poll when nothing is due and the notifier is up", () => {
    expect(pollWaitMs(base)).toBe(25_000);
  });

  it("wakes just after a delivered command becomes visible again within the poll", () => {
    const due = new Date(now.getTime() + 3_000);
    expect(pollWaitMs({ ...base, nextVisibleAt: due })).toBe(3_005);
    expect(pollWaitMs({ ...base, nextVisibleAt: new Date(now.getTime() - 500) })).toBe(5);
    expect(pollWaitMs({ ...base, remainingMs: 1_000, nextVisibleAt: due })).toBe(1_000);
  });

  it("re-checks on its own while the notifier is down", () => {
    expect(pollWaitMs({ ...base, notifierHealthy: false })).toBe(2_000);
    expect(pollWaitMs({ ...base, notifierHealthy: false, remainingMs: 700 })).toBe(700);
    expect(
      pollWaitMs({
        ...base,
        notifierHealthy: false,
        nextVisibleAt: new Date(now.getTime() + 1_000),
      }),
    ).toBe(1_005);
  });
});
