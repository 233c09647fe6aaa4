import type { ContainerStatusUpdate } from "@dockflow/protocol";
import type { z } from "zod";
import { appendSamples, type UsageSample } from "../lib/flow-containers.ts";

/** Samples kept per container for sparklines and the detail charts (one per status update). */
export const SAMPLES_KEPT = 120;

/**
 * The usage samples of every container, outside React's state so that a status update re-renders
 * only the sparklines and charts that read it (useSyncExternalStore), not the whole page.
 */
export class UsageHistory {
  private history = new Map<string, UsageSample[]>();
  private readonly listeners = new Set<() => void>();

  add(update: z.infer<typeof ContainerStatusUpdate>): void {
    this.history = appendSamples(this.history, update, SAMPLES_KEPT);
    for (const listener of this.listeners) listener();
  }

  samples(containerId: string): UsageSample[] | undefined {
    return this.history.get(containerId);
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };
}
