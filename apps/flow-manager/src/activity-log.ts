import type { ActivityLog as ActivityEntry } from "@dockflow/protocol";
import type { Logger } from "pino";

export type ActivityType = ActivityEntry["activity_type"];

export interface ActivityInput {
  type: ActivityType;
  message: string;
  containerId?: string | null;
  clientId?: string | null;
  details?: Record<string, unknown>;
  /** Who is told live: everyone (default), only these client ids, or no one (log and history only). */
  audience?: "all" | "none" | string[];
}

export interface ActivityLogOptions {
  /** How many entries are kept for get_activity_log. */
  size: number;
  log: Logger;
  /** Pushes an entry live as `activity_log` to everyone or to the listed clients. */
  publish: (entry: ActivityEntry, audience: "all" | string[]) => void;
}

/**
 * The audit trail: every operation is kept in a ring buffer (for clients that connect later),
 * written as a structured pino line, and handed to `publish` for live `activity_log` events.
 */
export class ActivityLog {
  private readonly ring: (ActivityEntry | undefined)[];
  private next = 0;
  private count = 0;

  constructor(private readonly options: ActivityLogOptions) {
    this.ring = new Array(options.size);
  }

  record(input: ActivityInput): ActivityEntry {
    const entry: ActivityEntry = {
      activity_type: input.type,
      message: input.message,
      container_id: input.containerId ?? null,
      client_id: input.clientId ?? null,
      details: input.details ?? {},
      timestamp: new Date().toISOString(),
    };
    this.ring[this.next] = entry;
    this.next = (this.next + 1) % this.ring.length;
    this.count = Math.min(this.count + 1, this.ring.length);
    this.options.log.info(
      {
        audit: true,
        activity_type: entry.activity_type,
        container_id: entry.container_id,
        client_id: entry.client_id,
        details: entry.details,
      },
      entry.message,
    );
    const audience = input.audience ?? "all";
    if (audience !== "none") this.options.publish(entry, audience);
    return entry;
  }

  /** The most recent entries, oldest first, optionally for one container. */
  recent(limit: number, containerId?: string): ActivityEntry[] {
    const out: ActivityEntry[] = [];
    for (let i = 1; i <= this.count && out.length < limit; i++) {
      const entry = this.ring[(this.next - i + this.ring.length) % this.ring.length];
      if (!entry) continue;
      if (containerId && entry.container_id !== containerId) continue;
      out.push(entry);
    }
    return out.reverse();
  }
}
