import { describe, expect, it } from "vitest";
import type { AgentPrincipal } from "./agent-keys.ts";
import { AgentKeyCache } from "./key-cache.ts";

const alice: AgentPrincipal = { keyId: "key_a", agentId: "agent-a" };

function setup(options: { listening?: () => boolean; maxEntries?: number } = {}) {
  let now = 0;
  const cache = new AgentKeyCache({
    ttlMs: 1_000,
    maxEntries: options.maxEntries ?? 10,
    listening: options.listening ?? (() => true),
    now: () => now,
  });
  let loads = 0;
  const load = (principal: AgentPrincipal | undefined) => async () => {
    loads++;
    return principal;
  };
  return {
    cache,
    load,
    loads: () => loads,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe("AgentKeyCache", () => {
  it("answers a live key from memory until it expires", async () => {
    const { cache, load, loads, advance } = setup();
    expect(await cache.resolve("d1", load(alice))).toEqual(alice);
    expect(await cache.resolve("d1", load(alice))).toEqual(alice);
    expect(loads()).toBe(1);
    advance(1_000);
    expect(await cache.resolve("d1", load(alice))).toEqual(alice);
    expect(loads()).toBe(2);
  });

  it("never caches unknown or revoked keys", async () => {
    const { cache, load, loads } = setup();
    expect(await cache.resolve("d1", load(undefined))).toBeUndefined();
    expect(await cache.resolve("d1", load(undefined))).toBeUndefined();
    expect(loads()).toBe(2);
    expect(cache.size).toBe(0);
  });

  it("forgets everything on invalidate", async () => {
    const { cache, load, loads } = setup();
    await cache.resolve("d1", load(alice));
    cache.invalidate();
    expect(await cache.resolve("d1", load(undefined))).toBeUndefined();
    expect(loads()).toBe(2);
  });

  it("does not cache a lookup that raced with an invalidation", async () => {
    const { cache, load, loads } = setup();
    let finish: (p: AgentPrincipal) => void = () => undefined;
    const slow = cache.resolve(
      "d1",
      () =>
        new Promise<AgentPrincipal>((resolve) => {
          finish = resolve;
        }),
    );
    // The key is revoked (and the cache told) while the read of its old row is still in flight.
    cache.invalidate();
    finish(alice);
    expect(await slow).toEqual(alice);
    expect(cache.size).toBe(0);
    // The next request reads the row again and sees the revocation.
    expect(await cache.resolve("d1", load(undefined))).toBeUndefined();
    expect(loads()).toBe(1);
  });

  it("bypasses and empties itself while changes cannot be heard", async () => {
    let listening = true;
    const { cache, load, loads } = setup({ listening: () => listening });
    await cache.resolve("d1", load(alice));
    listening = false;
    await cache.resolve("d1", load(alice));
    await cache.resolve("d1", load(alice));
    expect(loads()).toBe(3);
    expect(cache.size).toBe(0);
  });

  it("keeps at most maxEntries, dropping the oldest", async () => {
    const { cache, load, loads } = setup({ maxEntries: 2 });
    await cache.resolve("d1", load(alice));
    await cache.resolve("d2", load(alice));
    await cache.resolve("d3", load(alice));
    expect(cache.size).toBe(2);
    await cache.resolve("d3", load(alice));
    await cache.resolve("d2", load(alice));
    expect(loads()).toBe(3);
    await cache.resolve("d1", load(alice));
    expect(loads()).toBe(4);
  });
});
