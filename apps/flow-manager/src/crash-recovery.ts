import type { Logger } from "pino";
import type { CrashRecoverySettings } from "./labels.ts";

export interface RecoveryPlan {
  attempt: number;
  max_restarts: number;
  delay_ms: number;
}

/** How long a container ran, from Docker's StartedAt/FinishedAt; NaN when either is unknown. */
export function ranForMs(startedAt: string | null, finishedAt: string | null): number {
  return startedAt && finishedAt ? Date.parse(finishedAt) - Date.parse(startedAt) : Number.NaN;
}

/**
 * The restart a crash earns: attempt n waits initial_delay_ms * 2^(n-1), capped at max_delay_ms,
 * up to max_restarts attempts. A run of at least `resetMs` starts the count over. Null when
 * recovery is off or used up.
 */
export function planRestart(
  settings: CrashRecoverySettings | null,
  previousAttempts: number,
  ranMs: number,
  resetMs: number,
): RecoveryPlan | null {
  if (!settings?.enabled) return null;
  const quietRun = Number.isFinite(ranMs) && ranMs >= resetMs;
  const attempt = (quietRun ? 0 : previousAttempts) + 1;
  if (attempt > settings.max_restarts) return null;
  const delay = Math.min(settings.initial_delay_ms * 2 ** (attempt - 1), settings.max_delay_ms);
  return { attempt, max_restarts: settings.max_restarts, delay_ms: delay };
}

export interface CrashRecoveryOptions {
  /** Restarts the container: the timer's job once a planned delay is over. */
  restart: (id: string, attempt: number) => Promise<void>;
  resetMs: number;
  log: Logger;
}

/**
 * Restarts crashed containers that asked for it at create, as `planRestart` says, keeping the
 * attempt count and the pending timer per container.
 */
export class CrashRecovery {
  private readonly attempts = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly options: CrashRecoveryOptions) {}

  /** Plans (and schedules) a restart after a crash; null when recovery is off or exhausted. */
  onCrash(
    id: string,
    settings: CrashRecoverySettings | null,
    startedAt: string | null,
    finishedAt: string | null,
  ): RecoveryPlan | null {
    const previous = this.attempts.get(id) ?? 0;
    const plan = planRestart(
      settings,
      previous,
      ranForMs(startedAt, finishedAt),
      this.options.resetMs,
    );
    if (!plan) {
      if (settings?.enabled) {
        this.options.log.warn({ container_id: id, attempts: previous }, "crash recovery gave up");
      }
      return null;
    }
    this.attempts.set(id, plan.attempt);
    this.cancel(id, false);
    const timer = setTimeout(() => {
      this.timers.delete(id);
      this.options.restart(id, plan.attempt).catch((error) => {
        this.options.log.warn(
          { container_id: id, err: String(error) },
          "crash recovery restart failed",
        );
      });
    }, plan.delay_ms);
    timer.unref();
    this.timers.set(id, timer);
    return plan;
  }

  /** Cancels a pending restart (the container was stopped or deleted on request). */
  cancel(id: string, forget = true): void {
    const timer = this.timers.get(id);
    if (timer) clearTimeout(timer);
    this.timers.delete(id);
    if (forget) this.attempts.delete(id);
  }

  close(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
