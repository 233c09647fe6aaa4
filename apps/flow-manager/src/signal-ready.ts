import type Docker from "dockerode";

/**
 * Docker answers a container start before the container's PID 1 has taken over its signals: first
 * `runc init` is PID 1 (a SIGTERM then ends it with exit code 2), then Docker's init, which drops
 * a SIGTERM that arrives before it has blocked signals (the kernel discards signals a namespace's
 * PID 1 has no handler for; the stop then waits out its grace period and ends in SIGKILL, 137).
 * Docker's init blocks signals before it starts the command, so once the container has a second
 * process a stop signal is safe. A stop of a container that started moments ago waits for that.
 */

/** A container that started longer ago than this is past its init's start-up. */
export const START_UP_MS = 5_000;
/** The longest a stop waits for the init to take over; it then signals anyway. */
export const MAX_WAIT_MS = 2_000;
const POLL_MS = 20;

export interface SignalTarget {
  /** The container runs Docker's init as PID 1 (HostConfig.Init). */
  init: boolean;
  running: boolean;
  /** Docker's State.StartedAt. */
  startedAt: string;
}

/** Whether the container's init may still be starting, so a signal sent now could be lost. */
export function initMayBeStarting(target: SignalTarget, nowMs: number): boolean {
  const started = Date.parse(target.startedAt);
  if (!target.init || !target.running || Number.isNaN(started)) return false;
  return nowMs - started < START_UP_MS;
}

/** Whether the init has started the command (it blocks signals before that): two processes. */
export function initHasTakenOver(processCount: number): boolean {
  return processCount >= 2;
}

/**
 * Returns once a stop signal to `container` cannot be lost: at once for a container without
 * Docker's init, not running, or past its start-up; otherwise when `docker top` shows the init's
 * child, when the container is gone or stopped, or after MAX_WAIT_MS.
 */
export async function untilSignalable(container: Docker.Container): Promise<void> {
  const info = await container.inspect();
  const target = {
    init: info.HostConfig.Init === true,
    running: info.State.Running,
    startedAt: info.State.StartedAt,
  };
  if (!initMayBeStarting(target, Date.now())) return;
  const deadline = Date.now() + MAX_WAIT_MS;
  while (Date.now() < deadline) {
    let processes: number;
    try {
      processes = ((await container.top()) as { Processes?: unknown[] }).Processes?.length ?? 0;
    } catch {
      return; // not running any more (or top is unavailable): nothing to wait for
    }
    if (initHasTakenOver(processes)) return;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
