/**
 * A fixed-window counter per key (client address): `limit` hits per `windowMs`. In memory, per
 * master process; the clock is injected so tests control it.
 */
export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number,
  ) {}

  /** Counts a hit; returns the seconds to wait when the key is over its budget. */
  hit(key: string): { allowed: true } | { allowed: false; retryAfter: number } {
    const window = this.current(key);
    window.count += 1;
    if (window.count <= this.limit) return { allowed: true };
    return { allowed: false, retryAfter: this.retryAfter(window.start) };
  }

  /** Whether the key is over its budget, without counting a hit. */
  blocked(key: string): { blocked: false } | { blocked: true; retryAfter: number } {
    const window = this.current(key);
    if (window.count < this.limit) return { blocked: false };
    return { blocked: true, retryAfter: this.retryAfter(window.start) };
  }

  private current(key: string) {
    const now = this.now();
    let window = this.windows.get(key);
    if (!window || now - window.start >= this.windowMs) {
      window = { start: now, count: 0 };
      this.windows.set(key, window);
      if (this.windows.size > 100_000) this.prune(now);
    }
    return window;
  }

  private retryAfter(start: number): number {
    return Math.max(1, Math.ceil((start + this.windowMs - this.now()) / 1000));
  }

  private prune(now: number) {
    for (const [key, window] of this.windows) {
      if (now - window.start >= this.windowMs) this.windows.delete(key);
    }
  }
}
