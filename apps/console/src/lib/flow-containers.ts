import type {
  ContainerStatusUpdate,
  ContainerSummary,
  ResourceUsage,
  StatusChanged,
} from "@dockflow/protocol";
import type { z } from "zod";

/** What the Flows list shows of one container: its summary, and usage once a sample came. */
export type FlowRow = z.infer<typeof ContainerSummary> & {
  resource_usage?: ResourceUsage;
  uptime_seconds?: number;
  restart_count?: number;
};

type StatusUpdate = z.infer<typeof ContainerStatusUpdate>;

/**
 * Folds a bulk `container_status_update` into the list: every container it names is replaced by
 * its newer view; containers it does not name are kept (the update covers running ones only), and
 * new ones are added. The order stays by name so rows do not jump.
 */
export function applyStatusUpdate(rows: FlowRow[], update: StatusUpdate): FlowRow[] {
  const byId = new Map(rows.map((row) => [row.id, row]));
  for (const container of update.containers) byId.set(container.id, container);
  return sortRows([...byId.values()]);
}

/** A `status_changed` push: the container's status, or a new row when it was not listed yet. */
export function applyStatusChanged(
  rows: FlowRow[],
  change: z.infer<typeof StatusChanged>,
): { rows: FlowRow[]; known: boolean } {
  let known = false;
  const next = rows.map((row) => {
    if (row.id !== change.container_id) return row;
    known = true;
    return { ...row, status: change.new_status };
  });
  return { rows: known ? next : rows, known };
}

/** Drops a deleted container. */
export function removeRow(rows: FlowRow[], containerId: string): FlowRow[] {
  return rows.filter((row) => row.id !== containerId);
}

export function sortRows(rows: FlowRow[]): FlowRow[] {
  return rows.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
}

/** Counts for the overview: running, exited (cleanly) and crashed (exited otherwise, or dead). */
export function countStates(rows: FlowRow[]): {
  running: number;
  exited: number;
  other: number;
} {
  let running = 0;
  let exited = 0;
  for (const row of rows) {
    if (row.status === "running") running++;
    else if (row.status === "exited" || row.status === "dead") exited++;
  }
  return { running, exited, other: rows.length - running - exited };
}

/** One sample of a container's usage, for sparklines and charts. */
export interface UsageSample {
  at: number;
  cpu: number;
  memory: number;
}

/** Per container, the last `max` samples (oldest first); a repeated sample time is not added. */
export function appendSamples(
  history: ReadonlyMap<string, UsageSample[]>,
  update: StatusUpdate,
  max: number,
): Map<string, UsageSample[]> {
  const next = new Map(history);
  for (const container of update.containers) {
    const usage = container.resource_usage;
    if (usage.sampled_at === null) continue;
    const at = Date.parse(usage.sampled_at);
    const previous = next.get(container.id) ?? [];
    if (previous.length > 0 && previous[previous.length - 1]!.at >= at) continue;
    const samples = [...previous, { at, cpu: usage.cpu_percent, memory: usage.memory_percent }];
    next.set(container.id, samples.length > max ? samples.slice(samples.length - max) : samples);
  }
  return next;
}

/** Rows shown per page of the Flows list (a page of rows stays cheap to redraw every second). */
export const FLOW_PAGE_SIZE = 50;

/** The rows matching `query` (name or image, case-insensitive), and page `page` (1-based) of them. */
export function visibleRows(
  rows: FlowRow[],
  query: string,
  page: number,
  size = FLOW_PAGE_SIZE,
): { rows: FlowRow[]; matching: number; pages: number; page: number } {
  const needle = query.trim().toLowerCase();
  const matching = needle
    ? rows.filter(
        (r) => r.name.toLowerCase().includes(needle) || r.image.toLowerCase().includes(needle),
      )
    : rows;
  const pages = Math.max(1, Math.ceil(matching.length / size));
  const current = Math.min(Math.max(1, Math.floor(page)), pages);
  return {
    rows: matching.slice((current - 1) * size, current * size),
    matching: matching.length,
    pages,
    page: current,
  };
}
