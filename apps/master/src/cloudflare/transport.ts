import type { Logger } from "pino";
import type { RequestBudget } from "./budget.ts";
import { retryAfterMs } from "./errors.ts";

export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface RetryPolicy {
  /** Attempts per HTTP request, the first one included. */
  maxAttempts: number;
  /** Exponential backoff for 5xx / connection errors: base * 2^(attempt-1), capped, jittered. */
  baseDelayMs: number;
  maxDelayMs: number;
  /**
   * Longest Retry-After we wait for. A longer one is not slept through: the call fails with a
   * retryable `rate_limited` error and every request is held back until then.
   */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 60_000,
};

/** Per-attempt limit on waiting for Cloudflare's answer. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

export interface TransportOptions {
  fetch: FetchLike;
  budget: RequestBudget;
  retry: RetryPolicy;
  logger: Logger;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  requestTimeoutMs: number;
  random?: () => number;
  /** Told of every attempt's outcome: the HTTP status, or `error` when there was no answer. */
  onAttempt?: (method: string, path: string, status: string) => void;
}

/** Methods whose repetition cannot do anything twice. POST (create) and PATCH are not. */
const IDEMPOTENT_METHODS = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]);

/** Backoff before attempt `attempt + 1`: half fixed, half random ("equal jitter"). */
export function backoffMs(attempt: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

function pathOf(input: string | URL | Request): string {
  const raw = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  try {
    return new URL(raw).pathname.replace(/^\/client\/v4(?=\/)/, "");
  } catch {
    return "?";
  }
}

async function discard(response: Response): Promise<void> {
  try {
    await response.body?.cancel();
  } catch {
    // Nothing to free.
  }
}

/**
 * The `fetch` given to the SDK (whose own retries are off): every attempt first takes a slot of
 * the request budget; 429s are retried after Retry-After (a request that got 429 was not
 * processed, so even a create is safe to resend) up to `maxRetryAfterMs`; 5xx, 408 and
 * connection errors are retried with capped exponential backoff for idempotent methods only.
 * A POST that fails without a clear answer is returned/thrown as is: the gateway resolves the
 * ambiguity by looking the object up instead of creating it again.
 */
export function createTransport(options: TransportOptions): FetchLike {
  const { budget, retry, logger, sleep } = options;
  const random = options.random ?? Math.random;

  const attemptOnce = (input: string | URL | Request, init: RequestInit): Promise<Response> => {
    const deadline = AbortSignal.timeout(options.requestTimeoutMs);
    const signal = init.signal ? AbortSignal.any([init.signal, deadline]) : deadline;
    return options.fetch(input, { ...init, signal });
  };

  return async (input, init = {}) => {
    const method = (init.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
    const replayable =
      init.body === undefined || init.body === null || typeof init.body === "string";
    const idempotent = replayable && IDEMPOTENT_METHODS.has(method);
    const path = pathOf(input);

    for (let attempt = 1; ; attempt += 1) {
      await budget.acquire();
      let response: Response;
      try {
        response = await attemptOnce(input, init);
      } catch (error) {
        options.onAttempt?.(method, path, "error");
        if (init.signal?.aborted || !idempotent || attempt >= retry.maxAttempts) throw error;
        const delay = backoffMs(attempt, retry, random);
        logger.warn(
          { method, path, attempt, delay_ms: delay, err_message: (error as Error).message },
          "Cloudflare request failed without a response; retrying",
        );
        await sleep(delay);
        continue;
      }

      options.onAttempt?.(method, path, String(response.status));
      if (response.status === 429) {
        const wait =
          retryAfterMs(response.headers, options.now()) ?? backoffMs(attempt, retry, random);
        // The API blocks the whole token: hold every request back, not only this one.
        budget.pause(wait);
        if (!replayable || wait > retry.maxRetryAfterMs || attempt >= retry.maxAttempts) {
          logger.warn(
            { method, path, attempt, retry_after_ms: wait },
            "Cloudflare rate limited the request; giving up on it for now",
          );
          return response;
        }
        logger.warn(
          { method, path, attempt, retry_after_ms: wait },
          "Cloudflare rate limited the request; retrying after Retry-After",
        );
        await discard(response);
        continue; // the next acquire() waits out the pause
      }

      const transient = response.status >= 500 || response.status === 408;
      if (transient && idempotent && attempt < retry.maxAttempts) {
        const delay = backoffMs(attempt, retry, random);
        logger.warn(
          { method, path, attempt, status: response.status, delay_ms: delay },
          "Cloudflare answered with a transient error; retrying",
        );
        await discard(response);
        await sleep(delay);
        continue;
      }
      return response;
    }
  };
}
