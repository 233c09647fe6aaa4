import type { ClientRegistry } from "./clients.ts";
import { type StatusStore, summaryOf, uptimeSeconds } from "./status-store.ts";

export interface StatusUpdatesOptions {
  clients: ClientRegistry;
  store: StatusStore;
  /** FLOW_STATUS_INTERVAL_MS */
  intervalMs: number;
}

/** The periodic bulk container_status_update: one event per client, about its containers. */
export class StatusUpdates {
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly options: StatusUpdatesOptions) {}

  start(): void {
    this.timer = setInterval(() => this.push(), this.options.intervalMs);
    this.timer.unref();
  }

  push(): void {
    const { clients, store } = this.options;
    const now = Date.now();
    const timestamp = new Date(now).toISOString();
    for (const [clientId, interests] of clients.withInterests()) {
      const containers = [];
      for (const id of interests) {
        const c = store.get(id);
        if (!c) continue;
        containers.push({
          ...summaryOf(c),
          resource_usage: { ...c.usage },
          uptime_seconds: uptimeSeconds(c, now),
          restart_count: c.restartCount,
        });
      }
      if (containers.length > 0) {
        clients.emitTo(clientId, "container_status_update", { containers, timestamp });
      }
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
