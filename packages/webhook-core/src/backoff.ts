export interface RetryPolicy {
  /** Delay before the second attempt. */
  baseDelayMs: number;
  /** Longest delay between two attempts. */
  maxDelayMs: number;
  /** How long after its creation a delivery is still attempted. */
  windowMs: number;
}

/** The delay after the `attempts`-th failed attempt: doubling from the base, capped. */
export function retryDelay(policy: RetryPolicy, attempts: number): number {
  const exponent = Math.max(0, attempts - 1);
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(exponent, 40));
}

/**
 * When to try a delivery created at `createdAt` again after its `attempts`-th attempt failed at
 * `now`; undefined to give up, when that would be past the retry window.
 */
export function nextAttempt(
  policy: RetryPolicy,
  createdAt: Date,
  attempts: number,
  now: Date,
): Date | undefined {
  const next = now.getTime() + retryDelay(policy, attempts);
  if (next > createdAt.getTime() + policy.windowMs) return undefined;
  return new Date(next);
}
