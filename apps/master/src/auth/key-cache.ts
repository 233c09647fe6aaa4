import type { AgentPrincipal } from "./agent-keys.ts";

export interface KeyCacheOptions {
  /** Longest time an entry is trusted, even when no change is announced. */
  ttlMs: number;
  /** Entries kept at most; the oldest goes first. */
  maxEntries: number;
  /**
   * Whether changes made by other processes are being heard (the LISTEN connection is up).
   * While it is not, nothing is cached or served from the cache.
   */
  listening: () => boolean;
  now?: () => number;
}

interface Entry {
  principal: AgentPrincipal;
  expiresAt: number;
}

/**
 * Remembers which agent a key digest belongs to, so an agent's requests cost no key lookup.
 * Revocation stays immediate: every change to a key (revoked, bound at registration, its agent
 * removed) calls `invalidate()`: directly in the process that made it, after its commit, and in
 * every other process through the `agent_keys` trigger's NOTIFY. `invalidate()` empties the cache
 * and bumps a generation; a lookup that started before it is not cached, so a read that raced
 * with a revocation cannot put the revoked key back. Only live keys are cached; unknown and
 * revoked keys always go to the database (failed authentications are rate limited instead).
 */
export class AgentKeyCache {
  private readonly entries = new Map<string, Entry>();
  private generation = 0;
  private readonly now: () => number;

  constructor(private readonly options: KeyCacheOptions) {
    this.now = options.now ?? Date.now;
  }

  async resolve(
    digest: string,
    load: () => Promise<AgentPrincipal | undefined>,
  ): Promise<AgentPrincipal | undefined> {
    if (!this.options.listening()) {
      this.entries.clear();
      return load();
    }
    const cached = this.entries.get(digest);
    if (cached && cached.expiresAt > this.now()) return cached.principal;
    if (cached) this.entries.delete(digest);

    const generation = this.generation;
    const principal = await load();
    if (principal && generation === this.generation && this.options.listening()) {
      if (this.entries.size >= this.options.maxEntries) {
        const oldest = this.entries.keys().next();
        if (!oldest.done) this.entries.delete(oldest.value);
      }
      this.entries.set(digest, { principal, expiresAt: this.now() + this.options.ttlMs });
    }
    return principal;
  }

  /** Forgets everything; lookups in flight are not cached. */
  invalidate(): void {
    this.generation++;
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
