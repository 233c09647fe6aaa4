import { describe, expect, it } from "vitest";
import { computeUsage, type StatsSample } from "./stats.ts";

const MiB = 1024 * 1024;

/** Two samples one second apart on a 2-CPU host: 0.5 s of container CPU in 2 s of system CPU. */
function sample(overrides: Partial<StatsSample> = {}): StatsSample {
  return {
    read: "2026-11-30T01:00:00.000000000Z",
    cpu_stats: {
      cpu_usage: { total_usage: 1_500_000_000 },
      system_cpu_usage: 12_000_000_000,
      online_cpus: 2,
    },
    precpu_stats: {
      cpu_usage: { total_usage: 1_000_000_000 },
      system_cpu_usage: 10_000_000_000,
    },
    memory_stats: { usage: 100 * MiB, limit: 400 * MiB },
    ...overrides,
  };
}

describe("computeUsage", () => {
  it("computes CPU percent as docker stats does: cpu delta / system delta * cpus * 100", () => {
    // 0.5e9 / 2e9 * 2 * 100
    expect(computeUsage(sample()).cpu_percent).toBe(50);
  });

  it("counts CPUs from percpu_usage when online_cpus is absent", () => {
    const usage = computeUsage(
      sample({
        cpu_stats: {
          cpu_usage: { total_usage: 1_500_000_000, percpu_usage: [1, 2, 3, 4] },
          system_cpu_usage: 12_000_000_000,
        },
      }),
    );
    expect(usage.cpu_percent).toBe(100);
  });

  it("rounds to two decimals", () => {
    const usage = computeUsage(
      sample({
        cpu_stats: {
          cpu_usage: { total_usage: 1_000_000_000 + 1_000_000 },
          system_cpu_usage: 13_000_000_000,
          online_cpus: 1,
        },
      }),
    );
    // 1e6 / 3e9 * 100 = 0.0333...
    expect(usage.cpu_percent).toBe(0.03);
  });

  it("is 0 % CPU when either delta is zero (the first sample has no precpu)", () => {
    expect(computeUsage(sample({ precpu_stats: sample().cpu_stats })).cpu_percent).toBe(0);
    const noSystemDelta = sample({
      cpu_stats: {
        cpu_usage: { total_usage: 1_500_000_000 },
        system_cpu_usage: 10_000_000_000,
        online_cpus: 2,
      },
    });
    expect(computeUsage(noSystemDelta).cpu_percent).toBe(0);
    expect(computeUsage({}).cpu_percent).toBe(0);
  });

  /** Memory figures from a sample with this memory_stats. */
  const memory = (memory_stats: StatsSample["memory_stats"]) => {
    const u = computeUsage(sample({ memory_stats }));
    return [u.memory_usage_bytes / MiB, u.memory_limit_bytes / MiB, u.memory_percent];
  };

  it("subtracts the page cache: total_inactive_file on cgroup v1, inactive_file on v2", () => {
    const v1 = { usage: 100 * MiB, limit: 400 * MiB, stats: { total_inactive_file: 20 * MiB } };
    const v2 = { usage: 100 * MiB, limit: 300 * MiB, stats: { inactive_file: 40 * MiB } };
    expect(memory(v1)).toEqual([80, 400, 20]);
    expect(memory(v2)).toEqual([60, 300, 20]);
  });

  it("keeps the raw usage when the cache figure is not below it", () => {
    const full = { usage: 10 * MiB, limit: 100 * MiB, stats: { total_inactive_file: 10 * MiB } };
    expect(memory(full)).toEqual([10, 100, 10]);
  });

  it("is 0 % memory without a limit", () => {
    const usage = computeUsage(sample({ memory_stats: { usage: 5 * MiB } }));
    expect(usage).toMatchObject({
      memory_percent: 0,
      memory_usage_bytes: 5 * MiB,
      memory_limit_bytes: 0,
    });
  });

  it("sums network interfaces and block I/O by operation, and reads pids and the sample time", () => {
    const usage = computeUsage(
      sample({
        networks: { eth0: { rx_bytes: 10, tx_bytes: 20 }, eth1: { rx_bytes: 1, tx_bytes: 2 } },
        blkio_stats: {
          io_service_bytes_recursive: [
            { op: "Read", value: 100 },
            { op: "Write", value: 7 },
            { op: "read", value: 5 },
            { op: "Total", value: 112 },
          ],
        },
        pids_stats: { current: 3 },
      }),
    );
    expect(usage).toMatchObject({
      network_rx_bytes: 11,
      network_tx_bytes: 22,
      block_read_bytes: 105,
      block_write_bytes: 7,
      pids: 3,
      sampled_at: "2026-11-30T01:00:00.000Z",
    });
  });
});
