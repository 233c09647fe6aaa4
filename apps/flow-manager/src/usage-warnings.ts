import type { ResourceUsage } from "@dockflow/protocol";

export interface WarnThresholds {
  cpuWarnPercent: number;
  memoryWarnPercent: number;
  /** A warned resource warns again only after dropping this far below its threshold. */
  hysteresisPercent: number;
}

/** Which resources are in a warned excursion. */
export interface WarnState {
  cpu: boolean;
  memory: boolean;
}

export interface UsageWarning {
  warning_type: "cpu_high" | "memory_high";
  message: string;
  value: number;
  threshold: number;
}

/**
 * One warning per excursion above a threshold: a resource warns when it reaches its threshold
 * and is not already warned; it is re-armed once below threshold - hysteresis.
 */
export function usageWarnings(
  state: WarnState,
  usage: ResourceUsage,
  t: WarnThresholds,
): { state: WarnState; warnings: UsageWarning[] } {
  const warnings: UsageWarning[] = [];
  const step = (
    warned: boolean,
    value: number,
    threshold: number,
    type: UsageWarning["warning_type"],
  ) => {
    if (!warned && value >= threshold) {
      const what = type === "cpu_high" ? "CPU" : "memory";
      warnings.push({
        warning_type: type,
        message: `${what} at ${value}% (threshold ${threshold}%)`,
        value,
        threshold,
      });
      return true;
    }
    return warned && value >= threshold - t.hysteresisPercent;
  };
  const next = {
    cpu: step(state.cpu, usage.cpu_percent, t.cpuWarnPercent, "cpu_high"),
    memory: step(state.memory, usage.memory_percent, t.memoryWarnPercent, "memory_high"),
  };
  return { state: next, warnings };
}
