import { describe, expect, it } from "vitest";
import { planRestart, ranForMs } from "./crash-recovery.ts";

const settings = { enabled: true, max_restarts: 4, initial_delay_ms: 100, max_delay_ms: 300 };
const RESET = 60_000;

describe("planRestart", () => {
  it("doubles the delay per attempt from initial_delay_ms and caps it at max_delay_ms", () => {
    const delays = [0, 1, 2, 3].map((previous) => planRestart(settings, previous, 5, RESET));
    expect(delays).toEqual([
      { attempt: 1, max_restarts: 4, delay_ms: 100 },
      { attempt: 2, max_restarts: 4, delay_ms: 200 },
      { attempt: 3, max_restarts: 4, delay_ms: 300 },
      { attempt: 4, max_restarts: 4, delay_ms: 300 },
    ]);
  });

  it("gives up once max_restarts attempts are used", () => {
    expect(planRestart(settings, 4, 5, RESET)).toBeNull();
    expect(planRestart({ ...settings, max_restarts: 1 }, 1, 5, RESET)).toBeNull();
  });

  it("starts over after a run of at least the reset period, not after a shorter one", () => {
    expect(planRestart(settings, 4, RESET, RESET)).toEqual({
      attempt: 1,
      max_restarts: 4,
      delay_ms: 100,
    });
    expect(planRestart(settings, 2, RESET - 1, RESET)?.attempt).toBe(3);
  });

  it("keeps counting when the run length is unknown", () => {
    expect(planRestart(settings, 1, Number.NaN, RESET)?.attempt).toBe(2);
  });

  it("plans nothing without settings or with recovery disabled", () => {
    expect(planRestart(null, 0, 5, RESET)).toBeNull();
    expect(planRestart({ ...settings, enabled: false }, 0, 5, RESET)).toBeNull();
  });
});

describe("ranForMs", () => {
  it("is FinishedAt minus StartedAt, NaN when either is missing", () => {
    expect(ranForMs("2026-01-01T00:00:00.000Z", "2026-01-01T00:01:00.500Z")).toBe(60_500);
    expect(ranForMs(null, "2026-01-01T00:01:00.000Z")).toBeNaN();
    expect(ranForMs("2026-01-01T00:00:00.000Z", null)).toBeNaN();
  });
});
