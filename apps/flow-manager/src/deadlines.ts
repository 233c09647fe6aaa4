export interface DeadlinesOptions<K> {
  /** Called for each key whose deadline has passed, after it was removed. */
  onExpired: (key: K) => void;
  /** Monotonic clock in ms (default `performance.now`). */
  now?: () => number;
}

/**
 * The deadlines of many pending requests behind one timer. The timer is armed for the earliest
 * deadline only: adding a later deadline or ending a request never touches it. When it fires it
 * expires what is due (a request that ended meanwhile is simply gone) and re-arms for the earliest
 * remaining deadline. With equal timeouts, the usual case, a busy connection sets one timer per
 * timeout period instead of one per request.
 */
export class Deadlines<K> {
  readonly #at = new Map<K, number>();
  readonly #onExpired: (key: K) => void;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | null = null;
  #armedFor = Number.POSITIVE_INFINITY;

  constructor(options: DeadlinesOptions<K>) {
    this.#onExpired = options.onExpired;
    this.#now = options.now ?? (() => performance.now());
  }

  get size(): number {
    return this.#at.size;
  }

  /** Expires `key` in `timeoutMs` unless it is deleted first (a second add replaces the first). */
  add(key: K, timeoutMs: number): void {
    const at = this.#now() + timeoutMs;
    this.#at.set(key, at);
    if (at < this.#armedFor) this.#arm(at);
  }

  /** Forgets `key`; true if it was pending. */
  delete(key: K): boolean {
    return this.#at.delete(key);
  }

  /** Forgets every key and stops the timer. */
  clear(): void {
    this.#at.clear();
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#armedFor = Number.POSITIVE_INFINITY;
  }

  #arm(at: number): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#armedFor = at;
    this.#timer = setTimeout(this.#fire, Math.max(0, at - this.#now()));
  }

  readonly #fire = (): void => {
    this.#timer = null;
    this.#armedFor = Number.POSITIVE_INFINITY;
    const now = this.#now();
    const expired: K[] = [];
    let next = Number.POSITIVE_INFINITY;
    for (const [key, at] of this.#at) {
      if (at <= now) expired.push(key);
      else if (at < next) next = at;
    }
    for (const key of expired) this.#at.delete(key);
    if (next !== Number.POSITIVE_INFINITY) this.#arm(next);
    for (const key of expired) this.#onExpired(key);
  };
}
