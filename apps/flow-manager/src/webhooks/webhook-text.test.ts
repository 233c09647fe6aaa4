import { describe, expect, it } from "vitest";
import { webhookText } from "./webhook-text.ts";

const container = { manager_id: "edge-1", container_id: "c".repeat(64), name: "worker" };
const crash = {
  ...container,
  exit_code: 3,
  oom_killed: false,
  error: null,
  timestamp: "2026-11-30T01:00:00.000Z",
  recovery: null,
};

describe("webhookText", () => {
  it("says which container crashed where, how, and what happens next", () => {
    expect(webhookText("container_crashed", crash)).toBe(
      "[dockflow] Container worker crashed on flow manager edge-1 (exit code 3)",
    );
    expect(
      webhookText("container_crashed", {
        ...crash,
        exit_code: 137,
        oom_killed: true,
        recovery: { attempt: 2, max_restarts: 5, delay_ms: 200 },
      }),
    ).toBe(
      "[dockflow] Container worker crashed on flow manager edge-1 (exit code 137, killed: out of memory); restarting (attempt 2 of 5)",
    );
    expect(webhookText("container_crashed", { ...crash, exit_code: null })).toContain(
      "(exit code unknown)",
    );
  });

  it("reports a used-up restart limit and an unhealthy container", () => {
    expect(
      webhookText("restart_limit_reached", { ...container, exit_code: 1, max_restarts: 3 }),
    ).toBe(
      "[dockflow] Container worker crashed again on flow manager edge-1 after 3 automatic restarts; left stopped",
    );
    expect(
      webhookText("container_unhealthy", { ...container, message: "health check failing" }),
    ).toBe("[dockflow] Container worker is unhealthy on flow manager edge-1: health check failing");
  });
});
