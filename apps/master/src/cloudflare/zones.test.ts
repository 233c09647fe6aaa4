import { describe, expect, it } from "vitest";
import { CloudflareError } from "./errors.ts";
import { hostnameInZone, longestSuffixZone, ZoneDirectory, type ZoneRef } from "./zones.ts";

const zones: ZoneRef[] = [
  { id: "z1", name: "example.com" },
  { id: "z2", name: "dev.example.com" },
  { id: "z3", name: "other.org" },
];

describe("hostnameInZone", () => {
  it("matches the apex and label-aligned subdomains only", () => {
    expect(hostnameInZone("example.com", "example.com")).toBe(true);
    expect(hostnameInZone("a.example.com", "example.com")).toBe(true);
    expect(hostnameInZone("a.badexample.com", "example.com")).toBe(false);
    expect(hostnameInZone("badexample.com", "example.com")).toBe(false);
    expect(hostnameInZone("example.com", "a.example.com")).toBe(false);
  });
});

describe("longestSuffixZone", () => {
  it("picks the most specific zone, whatever the listing order", () => {
    expect(longestSuffixZone("api.dev.example.com", zones)?.id).toBe("z2");
    expect(longestSuffixZone("api.dev.example.com", [...zones].reverse())?.id).toBe("z2");
    expect(longestSuffixZone("www.example.com", zones)?.id).toBe("z1");
    expect(longestSuffixZone("a.badexample.com", zones)).toBeUndefined();
  });
});

describe("ZoneDirectory", () => {
  function directory(listings: ZoneRef[][]) {
    let now = 0;
    let loads = 0;
    const dir = new ZoneDirectory({
      load: async () => listings[Math.min(loads++, listings.length - 1)] ?? [],
      ttlMs: 1000,
      now: () => now,
    });
    return { dir, loads: () => loads, advance: (ms: number) => (now += ms) };
  }

  it("serves from the cache until the ttl passes, normalising zone names", async () => {
    const { dir, loads, advance } = directory([[{ id: "z1", name: "Example.COM." }]]);
    expect(await dir.resolve("A.example.com", undefined, "op")).toEqual({
      id: "z1",
      name: "example.com",
    });
    advance(999);
    await dir.resolve("b.example.com", undefined, "op");
    expect(loads()).toBe(1);
    advance(1);
    await dir.resolve("b.example.com", undefined, "op");
    expect(loads()).toBe(2);
  });

  it("lists again once for a hostname no cached zone holds (a zone added moments ago)", async () => {
    const { dir, loads } = directory([[zones[0]!], zones]);
    await dir.resolve("a.example.com", undefined, "op");
    expect((await dir.resolve("x.other.org", undefined, "op")).id).toBe("z3");
    expect(loads()).toBe(2);
  });

  it("refuses a hostname outside the named zone before listing anything", async () => {
    const { dir, loads } = directory([zones]);
    const error = await dir
      .resolve("a.badexample.com", "example.com", "create_dns")
      .catch((e) => e);
    expect(error).toBeInstanceOf(CloudflareError);
    expect(error).toMatchObject({ kind: "zone_not_found", operation: "create_dns" });
    expect(error.message).toBe('hostname "a.badexample.com" is not inside zone "example.com"');
    expect(loads()).toBe(0);
  });

  it("uses the named zone rather than the longest match, and names what the token sees", async () => {
    const { dir, loads } = directory([zones]);
    expect((await dir.resolve("a.dev.example.com", "example.com", "op")).id).toBe("z1");
    const missing = await dir.resolve("a.nowhere.net", undefined, "op").catch((e) => e);
    expect(missing.message).toBe(
      'no zone of the Cloudflare account holds "a.nowhere.net" (zones visible to the token: example.com, dev.example.com, other.org)',
    );
    expect(loads()).toBe(2);
  });
});
