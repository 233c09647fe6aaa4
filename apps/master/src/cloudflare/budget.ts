import type { Logger } from "pino";
import { CloudflareError } from "./errors.ts";

export interface BudgetLimit {
  /** Requests allowed in any window of `windowMs`. */
  limit: number;
  windowMs: number;
}

/** Cloudflare's budget: 1200 requests per 5 minutes per token (every call counts). */
export const DEFAULT_BUDGET: BudgetLimit = { limit: 1200, windowMs: 5 * 60_000 };

export interface RequestBudgetOptions extends BudgetLimit {
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  /** A pause (Retry-After) longer than this fails `acquire` instead of waiting. */
  maxPauseWaitMs: number;
  logger?: Logger;
}

/**
 * Client-side request budget: a sliding-window log of the send times of the last `limit`
 * requests, so that no window of `windowMs` ever holds more than `limit` requests. `acquire()`
 * waits (FIFO) for capacity instead of letting Cloudflare answer 429. `pause()` stops every
 * request until a moment Cloudflare named (Retry-After), as the API blocks the whole token.
 */
export class RequestBudget {
  readonly limit: number;
  readonly windowMs: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #maxPauseWaitMs: number;
  readonly #logger: Logger | undefined;
  /** Send times inside the current window, oldest first. */
  readonly #sent: number[] = [];
  #pausedUntil = 0;
  /** Tail of the FIFO line of `acquire` calls. */
  #line: Promise<unknown> = Promise.resolve();

  constructor(options: RequestBudgetOptions) {
    if (!Number.isInteger(options.limit) || options.limit < 1) {
      throw new RangeError("Cloudflare budget limit must be a positive integer");
    }
    if (!(options.windowMs > 0)) throw new RangeError("Cloudflare budget windowMs must be > 0");
    this.limit = options.limit;
    this.windowMs = options.windowMs;
    this.#now = options.now;
    this.#sleep = options.sleep;
    this.#maxPauseWaitMs = options.maxPauseWaitMs;
    this.#logger = options.logger;
  }

  /** Resolves once one more request may be sent now (and counts it). */
  acquire(): Promise<void> {
    const turn = this.#line.then(() => this.#take());
    this.#line = turn.catch(() => undefined);
    return turn;
  }

  /** Holds every request back for `ms` from now (a 429's Retry-After). */
  pause(ms: number): void {
    this.#pausedUntil = Math.max(this.#pausedUntil, this.#now() + ms);
  }

  /** Requests counted in the current window. */
  used(): number {
    this.#prune(this.#now());
    return this.#sent.length;
  }

  #prune(now: number): void {
    while (this.#sent.length > 0 && (this.#sent[0] ?? 0) <= now - this.windowMs) this.#sent.shift();
  }

  async #take(): Promise<void> {
    for (;;) {
      const now = this.#now();
      if (this.#pausedUntil > now) {
        const wait = this.#pausedUntil - now;
        if (wait > this.#maxPauseWaitMs) {
          // No word here may look like a timeout: the SDK would swallow this error otherwise.
          throw new CloudflareError(
            `Cloudflare rate limit: requests are paused for another ${Math.ceil(wait / 1000)} s (Retry-After)`,
            {
              kind: "rate_limited",
              operation: "request",
              status: 429,
              retryable: true,
              retryAfterMs: wait,
            },
          );
        }
        this.#logger?.warn({ wait_ms: wait }, "Cloudflare asked us to pause; waiting");
        await this.#sleep(wait);
        continue;
      }
      this.#prune(now);
      if (this.#sent.length < this.limit) {
        this.#sent.push(now);
        return;
      }
      const wait = Math.max(1, (this.#sent[0] ?? now) + this.windowMs - now);
      this.#logger?.warn(
        { wait_ms: wait, limit: this.limit, window_ms: this.windowMs },
        "Cloudflare request budget exhausted; waiting for capacity",
      );
      await this.#sleep(wait);
    }
  }
}
