import type pino from "pino";
import { diffListing, idsToConfirm } from "./discovery-diff.ts";
import type { DockerEvent } from "./docker/events.ts";
import type { DockerManager, Workload } from "./docker/manager.ts";

export interface DiscoverySink {
  started(workload: Workload): void;
  stopped(workload: Workload, status: string): void;
}

/**
 * Keeps the set of enabled workloads on this node from engine events, and re-lists (resync) at
 * start, after the event stream reconnects and on every report tick. Each workload is reported
 * started once and stopped once, however many events or re-lists mention it.
 */
export class Discovery {
  private known = new Map<string, Workload>();
  /**
   * Workloads an engine event said stopped. The engine's container list can lag its events, so a
   * re-list right after a stop may still show one as running: it is reported started again only
   * once an inspect confirms it runs (until a start event, or a re-list without it).
   */
  private stoppedByEvent = new Set<string>();
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly manager: DockerManager,
    private readonly sink: DiscoverySink,
    private readonly log: pino.Logger,
  ) {}

  /** The workloads currently known to run here. */
  get workloads(): Workload[] {
    return [...this.known.values()];
  }

  /** Engine events are handled one at a time, in order. */
  handleEvent(event: DockerEvent): void {
    this.enqueue(async () => {
      const change = await this.manager.interpret(event);
      if (!change) return;
      if (change.kind === "resync") return this.resyncNow();
      if (change.kind === "start") {
        this.stoppedByEvent.delete(change.workload.id);
        if (this.known.has(change.workload.id)) return;
        this.known.set(change.workload.id, change.workload);
        this.sink.started(change.workload);
        return;
      }
      const workload = this.known.get(change.id);
      if (!workload) return;
      this.known.delete(change.id);
      this.stoppedByEvent.add(change.id);
      this.sink.stopped(workload, change.status);
    });
  }

  /** Re-lists everything and reports the differences; resolves with the current set. */
  resync(): Promise<Workload[]> {
    return new Promise((resolve, reject) => {
      this.enqueue(async () => {
        try {
          await this.resyncNow();
          resolve(this.workloads);
        } catch (error) {
          reject(error);
        }
      });
    });
  }

  private async resyncNow(): Promise<void> {
    const listed = await this.manager.listWorkloads();
    const state = { known: this.known, stoppedByEvent: this.stoppedByEvent };
    const confirmedRunning = new Set<string>();
    for (const id of idsToConfirm(state, listed)) {
      if (await this.manager.isRunning(id)) confirmedRunning.add(id);
    }
    const diff = diffListing(state, listed, confirmedRunning);
    this.known = diff.known;
    this.stoppedByEvent = diff.stoppedByEvent;
    for (const workload of diff.started) this.sink.started(workload);
    for (const workload of diff.stopped) this.sink.stopped(workload, "exited");
  }

  private enqueue(task: () => Promise<void>): void {
    this.chain = this.chain.then(task).catch((error: Error) => {
      this.log.warn({ err: error.message }, "discovery step failed");
    });
  }

  /** Resolves once everything queued so far has been handled. */
  settled(): Promise<void> {
    return this.chain;
  }
}
