import type { Logger } from "pino";
import type { CrashRecoverySettings } from "./labels.ts";

export interface RecoveryPlan {
  attempt: number;
  max_restarts: number;
  delay_ms: number;
}

/**
 * Restarts crashed containers that asked for it at create, with exponential backoff
 * (initial_delay_ms * 2^(attempt-1), capped at max_delay_ms) up to max_restarts attempts.
 * The count starts over once a container has stayed up for `resetMs`.
 */
export class CrashRecovery {
  private readonly attempts = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly restart: (id: string, attempt: number) => Promise<void>,
    private readonly resetMs: number,
    private readonly log: Logger,
  ) {}

  /** Plans (and schedules) a restart after a crash; null when recovery is off or exhausted. */
  onCrash(
    id: string,
    settings: CrashRecoverySettings | null,
    startedAt: string | null,
    finishedAt: string | null,
  ): RecoveryPlan | null {
    if (!settings?.enabled) return null;
    const ranFor =
      startedAt && finishedAt ? Date.parse(finishedAt) - Date.parse(startedAt) : Number.NaN;
    if (Number.isFinite(ranFor) && ranFor >= this.resetMs) this.attempts.delete(id);
    const attempt = (this.attempts.get(id) ?? 0) + 1;
    if (attempt > settings.max_restarts) {
      this.log.warn({ container_id: id, attempts: attempt - 1 }, "crash recovery gave up");
      return null;
    }
    this.attempts.set(id, attempt);
    const delay = Math.min(settings.initial_delay_ms * 2 ** (attempt - 1), settings.max_delay_ms);
    this.cancel(id, false);
    const timer = setTimeout(() => {
      this.timers.delete(id);
      this.restart(id, attempt).catch((error) => {
        this.log.warn({ container_id: id, err: String(error) }, "crash recovery restart failed");
      });
    }, delay);
    timer.unref();
    this.timers.set(id, timer);
    return { attempt, max_restarts: settings.max_restarts, delay_ms: delay };
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
