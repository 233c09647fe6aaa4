import type { Workload } from "./docker/manager.ts";

/** What discovery believes before a re-list. */
export interface ListingState {
  /** Workloads reported started and not stopped since, by id. */
  known: ReadonlyMap<string, Workload>;
  /** Ids an engine event said stopped (the engine's list can lag its events). */
  stoppedByEvent: ReadonlySet<string>;
}

/** The state after a re-list and what to report, in order. */
export interface ListingDiff {
  known: Map<string, Workload>;
  stoppedByEvent: Set<string>;
  started: Workload[];
  stopped: Workload[];
}

/** Listed workloads an engine event said stopped: inspect them before believing the list. */
export function idsToConfirm(state: ListingState, listed: readonly Workload[]): string[] {
  return listed.filter((w) => state.stoppedByEvent.has(w.id)).map((w) => w.id);
}

/**
 * Compares a fresh listing with what discovery knows. A workload is reported started when it is
 * new or its labels changed (a Swarm service update), and stopped when the listing no longer has
 * it. One that an event said stopped counts only when an inspect confirmed it runs
 * (`confirmedRunning`); the stop marks of workloads the listing no longer has are forgotten.
 */
export function diffListing(
  state: ListingState,
  listed: readonly Workload[],
  confirmedRunning: ReadonlySet<string>,
): ListingDiff {
  const listedIds = new Set(listed.map((w) => w.id));
  const stoppedByEvent = new Set([...state.stoppedByEvent].filter((id) => listedIds.has(id)));
  const known = new Map<string, Workload>();
  const started: Workload[] = [];
  for (const workload of listed) {
    if (stoppedByEvent.has(workload.id)) {
      if (!confirmedRunning.has(workload.id)) continue;
      stoppedByEvent.delete(workload.id);
    }
    const before = state.known.get(workload.id);
    known.set(workload.id, workload);
    if (!before || !sameLabels(before.labels, workload.labels)) started.push(workload);
  }
  const stopped = [...state.known.values()].filter((w) => !known.has(w.id));
  return { known, stoppedByEvent, started, stopped };
}

/** Label maps compared regardless of key order (inspect and list return different orders). */
export function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => b[key] === a[key]);
}
