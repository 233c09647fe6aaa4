import type { ContainerState, ContainerStatus, ResourceUsage } from "@dockflow/protocol";
import type { ContainerInspect } from "./docker.ts";
import { type CrashRecoverySettings, crashRecoveryOf, LABEL_SOCKET_DIR } from "./labels.ts";

export type HealthState = ContainerStatus["health"];

export interface TrackedContainer {
  id: string;
  name: string;
  image: string;
  labels: Record<string, string>;
  state: ContainerState;
  health: HealthState;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  restartCount: number;
  exitCode: number | null;
  oomKilled: boolean;
  error: string | null;
  history: { status: ContainerState; timestamp: string }[];
  usage: ResourceUsage;
  socketDir: string | null;
  crashRecovery: CrashRecoverySettings | null;
  /** Docker's restart policy name ("" or "no" when none). */
  restartPolicy: string;
}

const STATES = new Set<ContainerState>([
  "created",
  "running",
  "paused",
  "restarting",
  "removing",
  "exited",
  "dead",
]);

export function emptyUsage(): ResourceUsage {
  return {
    cpu_percent: 0,
    memory_percent: 0,
    memory_usage_bytes: 0,
    memory_limit_bytes: 0,
    network_rx_bytes: 0,
    network_tx_bytes: 0,
    block_read_bytes: 0,
    block_write_bytes: 0,
    pids: 0,
    sampled_at: null,
  };
}

function dockerTime(value: string | undefined): string | null {
  if (!value || value.startsWith("0001-")) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** What the manager knows about its containers, kept current from Docker events and stats. */
export class StatusStore {
  private readonly byId = new Map<string, TrackedContainer>();

  constructor(private readonly options: { historySize: number }) {}

  get size(): number {
    return this.byId.size;
  }

  all(): TrackedContainer[] {
    return [...this.byId.values()];
  }

  get(id: string): TrackedContainer | undefined {
    return this.byId.get(id);
  }

  /** A full id, a unique id prefix or a name (with or without the leading slash). */
  resolve(ref: string): TrackedContainer | undefined {
    const exact = this.byId.get(ref);
    if (exact) return exact;
    const name = ref.startsWith("/") ? ref.slice(1) : ref;
    let match: TrackedContainer | undefined;
    for (const c of this.byId.values()) {
      if (c.name === name) return c;
      if (/^[0-9a-f]+$/.test(ref) && c.id.startsWith(ref)) {
        if (match) return undefined; // ambiguous prefix
        match = c;
      }
    }
    return match;
  }

  /** Records an inspect result; returns the previous state (null when new). */
  applyInspect(info: ContainerInspect): {
    tracked: TrackedContainer;
    previous: ContainerState | null;
  } {
    const existing = this.byId.get(info.Id);
    const previous = existing?.state ?? null;
    const status = STATES.has(info.State.Status as ContainerState)
      ? (info.State.Status as ContainerState)
      : "dead";
    const labels = info.Config.Labels ?? {};
    const tracked: TrackedContainer = existing ?? {
      id: info.Id,
      name: info.Name.replace(/^\//, ""),
      image: info.Config.Image,
      labels,
      state: status,
      health: "none",
      createdAt: dockerTime(info.Created) ?? new Date().toISOString(),
      startedAt: null,
      finishedAt: null,
      restartCount: 0,
      exitCode: null,
      oomKilled: false,
      error: null,
      history: [],
      usage: emptyUsage(),
      socketDir: labels[LABEL_SOCKET_DIR] ?? null,
      crashRecovery: crashRecoveryOf(labels),
      restartPolicy: "",
    };
    tracked.restartPolicy = info.HostConfig?.RestartPolicy?.Name ?? "";
    tracked.name = info.Name.replace(/^\//, "");
    tracked.startedAt = dockerTime(info.State.StartedAt);
    tracked.finishedAt = dockerTime(info.State.FinishedAt);
    tracked.restartCount = info.RestartCount ?? 0;
    tracked.exitCode = status === "running" || status === "created" ? null : info.State.ExitCode;
    tracked.oomKilled = info.State.OOMKilled;
    tracked.error = info.State.Error || null;
    const health = (info.State as { Health?: { Status?: string } }).Health?.Status;
    tracked.health =
      health === "healthy" || health === "unhealthy" || health === "starting" ? health : "none";
    if (!existing) {
      this.byId.set(info.Id, tracked);
      this.pushHistory(tracked, status);
    } else if (existing.state !== status) {
      this.pushHistory(tracked, status);
    }
    tracked.state = status;
    return { tracked, previous };
  }

  /** Sets the state from an event; returns the previous state when it changed, else undefined. */
  setState(id: string, state: ContainerState): ContainerState | undefined {
    const c = this.byId.get(id);
    if (!c || c.state === state) return undefined;
    const previous = c.state;
    c.state = state;
    this.pushHistory(c, state);
    return previous;
  }

  remove(id: string): TrackedContainer | undefined {
    const c = this.byId.get(id);
    this.byId.delete(id);
    return c;
  }

  private pushHistory(c: TrackedContainer, status: ContainerState): void {
    c.history.push({ status, timestamp: new Date().toISOString() });
    if (c.history.length > this.options.historySize)
      c.history.splice(0, c.history.length - this.options.historySize);
  }
}

export function uptimeSeconds(c: TrackedContainer, now = Date.now()): number {
  if (c.state !== "running" || !c.startedAt) return 0;
  return Math.max(0, (now - Date.parse(c.startedAt)) / 1000);
}

export function statusOf(c: TrackedContainer): Omit<ContainerStatus, "request_id"> {
  return {
    container_id: c.id,
    name: c.name,
    image: c.image,
    status: c.state,
    health: c.health,
    resource_usage: { ...c.usage },
    created_at: c.createdAt,
    started_at: c.startedAt,
    finished_at: c.finishedAt,
    uptime_seconds: uptimeSeconds(c),
    restart_count: c.restartCount,
    exit_code: c.exitCode,
    oom_killed: c.oomKilled,
    status_history: c.history.map((h) => ({ ...h })),
  };
}

export function summaryOf(c: TrackedContainer) {
  return {
    id: c.id,
    name: c.name,
    image: c.image,
    status: c.state,
    health: c.health,
    created_at: c.createdAt,
  };
}
