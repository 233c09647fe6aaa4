import type { ResourceUsage } from "@dockflow/protocol";
import { describe, expect, it } from "vitest";
import { emptyUsage } from "./status-store.ts";
import { usageWarnings, type WarnState } from "./usage-warnings.ts";

const thresholds = { cpuWarnPercent: 80, memoryWarnPercent: 90, hysteresisPercent: 10 };

function usage(cpu: number, memory: number): ResourceUsage {
  return { ...emptyUsage(), cpu_percent: cpu, memory_percent: memory };
}

/** Runs a sequence of samples; returns the warning types each one raised. */
function run(samples: [number, number][]): string[][] {
  let state: WarnState = { cpu: false, memory: false };
  return samples.map(([cpu, memory]) => {
    const result = usageWarnings(state, usage(cpu, memory), thresholds);
    state = result.state;
    return result.warnings.map((w) => w.warning_type);
  });
}

describe("usageWarnings", () => {
  it("warns once when a threshold is reached, with the value and the threshold", () => {
    const result = usageWarnings({ cpu: false, memory: false }, usage(80, 95.5), thresholds);
    expect(result).toEqual({
      state: { cpu: true, memory: true },
      warnings: [
        {
          warning_type: "cpu_high",
          message: "CPU at 80% (threshold 80%)",
          value: 80,
          threshold: 80,
        },
        {
          warning_type: "memory_high",
          message: "memory at 95.5% (threshold 90%)",
          value: 95.5,
          threshold: 90,
        },
      ],
    });
  });

  it("does not repeat within an excursion, nor after a dip that stays within the hysteresis", () => {
    expect(
      run([
        [85, 0],
        [99, 0],
        [75, 0],
        [70, 0],
        [90, 0],
      ]),
    ).toEqual([["cpu_high"], [], [], [], []]);
  });

  it("warns again after dropping below threshold - hysteresis", () => {
    expect(
      run([
        [85, 0],
        [69.9, 0],
        [80, 0],
      ]),
    ).toEqual([["cpu_high"], [], ["cpu_high"]]);
  });

  it("keeps CPU and memory apart", () => {
    expect(
      run([
        [0, 90],
        [85, 91],
        [0, 50],
        [0, 95],
      ]),
    ).toEqual([["memory_high"], ["cpu_high"], [], ["memory_high"]]);
  });

  it("says nothing below the thresholds", () => {
    expect(run([[79.99, 89.99]])).toEqual([[]]);
  });
});
