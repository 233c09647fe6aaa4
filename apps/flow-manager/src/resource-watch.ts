import type { ResourceUsage } from "@dockflow/protocol";
import type { Notifier } from "./notifier.ts";
import type { StatusStore } from "./status-store.ts";
import { usageWarnings, type WarnState, type WarnThresholds } from "./usage-warnings.ts";

export interface ResourceWatchOptions {
  store: StatusStore;
  notifier: Notifier;
  thresholds: WarnThresholds;
}

/** Takes every stats sample: keeps the latest in the store and warns as `usageWarnings` says. */
export class ResourceWatch {
  private readonly warned = new Map<string, WarnState>();

  constructor(private readonly options: ResourceWatchOptions) {}

  onSample(id: string, usage: ResourceUsage): void {
    const c = this.options.store.get(id);
    if (!c) return;
    c.usage = usage;
    const previous = this.warned.get(id) ?? { cpu: false, memory: false };
    const { state, warnings } = usageWarnings(previous, usage, this.options.thresholds);
    this.warned.set(id, state);
    for (const warning of warnings) this.options.notifier.healthWarning(c, warning);
  }

  forget(id: string): void {
    this.warned.delete(id);
  }
}
