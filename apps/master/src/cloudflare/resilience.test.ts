import { describe, expect, it } from "vitest";
import { CloudflareError } from "./errors.ts";
import { harness, liveTunnels, recordsNamed, rejection } from "./test-harness.ts";
import { DEFAULT_RETRY_POLICY } from "./transport.ts";

const tokenPath = /\/cfd_tunnel\/[^/]+\/token$/;
const isTokenGet = (method: string, path: string) => method === "GET" && tokenPath.test(path);

describe("rate limiting (429)", () => {
  it("waits out Retry-After and retries, also for a create", async () => {
    const { gateway, sandbox, clock } = harness();
    const tunnelsPath = `/accounts/${sandbox.accountId}/cfd_tunnel`;
    sandbox.failNext({
      status: 429,
      retryAfterSeconds: 3,
      match: (method, path) => method === "POST" && path === tunnelsPath,
    });
    const tunnel = await gateway.ensureTunnel("edge");
    sandbox.failNext({ status: 429, retryAfterSeconds: 2, match: isTokenGet });

    const token = await gateway.getTunnelToken(tunnel.id);

    expect(token).toEqual(expect.any(String));
    expect(liveTunnels(sandbox, "edge")).toHaveLength(1);
    const posts = sandbox.requests({ method: "POST", path: tunnelsPath });
    expect(posts.map((entry) => entry.status)).toEqual([429, 200]);
    const gets = sandbox.requests({ method: "GET", path: tokenPath });
    expect(gets.map((entry) => entry.status)).toEqual([429, 200]);
    // The retry reached the API only once the Retry-After had passed (sandbox clock = ours).
    expect((gets[1]?.at ?? 0) - (gets[0]?.at ?? 0)).toBe(2_000);
    expect((posts[1]?.at ?? 0) - (posts[0]?.at ?? 0)).toBe(3_000);
    expect(clock.sleeps).toEqual([3_000, 2_000]);
  });

  it("does not sleep through a long Retry-After: fails fast, holds requests back, then resumes", async () => {
    const { gateway, sandbox, clock } = harness();
    const tunnel = await gateway.ensureTunnel("edge");
    sandbox.failNext({ status: 429, retryAfterSeconds: 300, match: isTokenGet });

    const error = await rejection(gateway.getTunnelToken(tunnel.id));
    expect(error).toBeInstanceOf(CloudflareError);
    expect(error).toMatchObject({
      kind: "rate_limited",
      status: 429,
      code: 971,
      retryable: true,
      retryAfterMs: 300_000,
    });
    // While paused, calls fail without reaching the API.
    const second = await rejection(gateway.getTunnelToken(tunnel.id));
    expect(second).toMatchObject({
      kind: "rate_limited",
      operation: "getTunnelToken",
      retryable: true,
      retryAfterMs: 300_000,
    });
    expect(sandbox.requests({ path: tokenPath })).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);

    clock.advance(300_000);
    expect(await gateway.getTunnelToken(tunnel.id)).toEqual(expect.any(String));
    expect(sandbox.requests({ path: tokenPath }).map((entry) => entry.status)).toEqual([429, 200]);
  });

  it("keeps the client inside the sandbox's real limit (no 429) when given the same budget", async () => {
    const limit = { limit: 5, windowMs: 10_000 };
    const { gateway, sandbox, clock } = harness({
      sandbox: { rateLimit: limit },
      gateway: { budget: limit },
    });
    const tunnel = await gateway.ensureTunnel("edge"); // 2 requests

    for (let i = 0; i < 10; i += 1) await gateway.getTunnelToken(tunnel.id);

    expect(sandbox.requests().map((entry) => entry.status)).not.toContain(429);
    expect(sandbox.requests()).toHaveLength(12);
    expect(clock.sleeps.length).toBeGreaterThan(0);
  });
});

describe("transient errors", () => {
  it("retries 500s of idempotent reads with backoff", async () => {
    const { gateway, sandbox, clock } = harness();
    const tunnel = await gateway.ensureTunnel("edge");
    sandbox.failNext({ status: 500, count: 2, match: isTokenGet });

    await gateway.getTunnelToken(tunnel.id);

    expect(sandbox.requests({ path: tokenPath }).map((entry) => entry.status)).toEqual([
      500, 500, 200,
    ]);
    expect(clock.sleeps).toHaveLength(2);
    const [first = 0, second = 0] = clock.sleeps;
    // Equal-jitter exponential backoff: attempt n waits within [base*2^(n-1)/2, base*2^(n-1)].
    const base = DEFAULT_RETRY_POLICY.baseDelayMs;
    expect(first).toBeGreaterThanOrEqual(base / 2);
    expect(first).toBeLessThanOrEqual(base);
    expect(second).toBeGreaterThanOrEqual(base);
    expect(second).toBeLessThanOrEqual(base * 2);
  });

  it("gives up after maxAttempts with a retryable error", async () => {
    const { gateway, sandbox } = harness({ gateway: { retry: { maxAttempts: 3 } } });
    const tunnel = await gateway.ensureTunnel("edge");
    sandbox.failNext({ status: 503, count: 10, match: isTokenGet });

    const error = await rejection(gateway.getTunnelToken(tunnel.id));

    expect(error).toMatchObject({ kind: "api", status: 503, retryable: true });
    expect(sandbox.requests({ path: tokenPath })).toHaveLength(3);
  });
});

describe("request budget", () => {
  it("holds a call beyond the budget until the window frees a slot", async () => {
    const { sandbox, clock, makeGateway } = harness();
    const tunnel = await makeGateway().ensureTunnel("edge");
    const gateway = makeGateway({ budget: { limit: 3, windowMs: 60_000 } });
    clock.mode = "manual";
    const start = clock.now();

    for (let i = 0; i < 3; i += 1) await gateway.getTunnelToken(tunnel.id);
    let settled = false;
    const fourth = gateway.getTunnelToken(tunnel.id).finally(() => {
      settled = true;
    });

    const pause = await Promise.race([
      clock.nextSleep(),
      fourth.then(() => {
        throw new Error("the call beyond the budget was not held back");
      }),
    ]);
    expect(pause.ms).toBe(60_000);
    expect(sandbox.requests({ path: tokenPath })).toHaveLength(3);
    expect(settled).toBe(false);

    // Waking early (clock not advanced) sends nothing: the budget sleeps again for the rest.
    clock.advance(59_000);
    pause.wake();
    const rest = await clock.nextSleep();
    expect(rest.ms).toBe(1_000);
    expect(sandbox.requests({ path: tokenPath })).toHaveLength(3);
    expect(settled).toBe(false);

    clock.advance(1_000);
    rest.wake();
    await fourth;
    const sent = sandbox.requests({ path: tokenPath });
    expect(sent).toHaveLength(4);
    expect(sent[3]?.at).toBe(start + 60_000);
  });
});

describe("pagination and zone cache", () => {
  it("pages through more zones than fit on a page and caches the list", async () => {
    const zones = Array.from({ length: 60 }, (_, i) => `zone-${String(i).padStart(2, "0")}.test`);
    const { gateway, sandbox, clock } = harness({
      sandbox: { zones },
      gateway: { zoneCacheTtlMs: 30_000 },
    });
    const zoneLists = () => sandbox.requests({ method: "GET", path: "/zones" });

    const result = await gateway.ensureDnsRecord(
      "app.zone-59.test",
      "33333333-3333-4333-8333-333333333333",
    );

    const expected = [...sandbox.state.zones.values()].find((zone) => zone.name === "zone-59.test");
    expect(result.zone_id).toBe(expected?.id);
    expect(zoneLists().map((entry) => new URLSearchParams(entry.query).get("page"))).toEqual([
      "1",
      "2",
    ]);

    // Within the TTL the cached list is used; after it, the list is fetched again.
    await gateway.ensureDnsRecord("www.zone-00.test", "33333333-3333-4333-8333-333333333333");
    expect(zoneLists()).toHaveLength(2);
    clock.advance(30_000);
    await gateway.ensureDnsRecord("api.zone-01.test", "33333333-3333-4333-8333-333333333333");
    expect(zoneLists()).toHaveLength(4);
  });

  it("refreshes the cached zone list once for a zone added since", async () => {
    const { gateway, sandbox } = harness();
    await gateway.ensureDnsRecord("a.example.com", "33333333-3333-4333-8333-333333333333");
    sandbox.addZone({ name: "new.example" });
    const result = await gateway.ensureDnsRecord(
      "a.new.example",
      "33333333-3333-4333-8333-333333333333",
    );
    expect(result.zone_id).toBe(
      [...sandbox.state.zones.values()].find((z) => z.name === "new.example")?.id,
    );
  });

  it("pages through more records than fit on a page", async () => {
    const { gateway, sandbox, cf } = harness();
    const zoneId = [...sandbox.state.zones.values()][0]?.id ?? "";
    const tunnelId = "44444444-4444-4444-8444-444444444444";
    for (let i = 0; i < 120; i += 1) {
      await cf.dns.records.create({
        zone_id: zoneId,
        type: "TXT",
        name: "app.example.com",
        content: `"note ${i}"`,
        ttl: 1,
      });
    }
    const existing = await cf.dns.records.create({
      zone_id: zoneId,
      type: "CNAME",
      name: "app.example.com",
      content: `${tunnelId}.cfargotunnel.com`,
      proxied: true,
      ttl: 1,
    });

    const result = await gateway.ensureDnsRecord("app.example.com", tunnelId);

    expect(result.record_id).toBe(existing.id);
    const lists = sandbox.requests({ method: "GET", path: `/zones/${zoneId}/dns_records` });
    expect(lists.map((entry) => new URLSearchParams(entry.query).get("page"))).toEqual(["1", "2"]);
    expect(sandbox.requests({ method: "POST", path: `/zones/${zoneId}/dns_records` })).toHaveLength(
      121,
    );
    expect(recordsNamed(sandbox, "app.example.com").filter((r) => r.type === "CNAME")).toHaveLength(
      1,
    );
  });
});
