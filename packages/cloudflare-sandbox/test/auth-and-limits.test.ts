import Cloudflare, {
  BadRequestError,
  InternalServerError,
  PermissionDeniedError,
  RateLimitError,
} from "cloudflare";
import { describe, expect, it } from "vitest";
import { createCloudflareSandbox } from "../src/index.ts";
import { apiFailure, codes, harness, raw } from "./helpers.ts";

describe("authentication", () => {
  it("answers a missing or malformed Authorization header with 400/6003", async () => {
    const { sandbox, client } = harness();
    const noHeader = client({ apiToken: null, defaultHeaders: { Authorization: null } });
    const missing = await apiFailure(noHeader.zones.list());
    expect(missing).toBeInstanceOf(BadRequestError);
    expect(missing.errors).toEqual([
      {
        code: 6003,
        message: "Invalid request headers",
        error_chain: [{ code: 6111, message: "Invalid format for Authorization header" }],
      },
    ]);

    const spaced = await apiFailure(client({ apiToken: "two words" }).zones.list());
    expect(codes(spaced)).toEqual([6003]);

    const basic = await sandbox.fetch(`${sandbox.baseURL}/zones`, {
      headers: { authorization: "Basic dXNlcjpwYXNz" },
    });
    expect(basic.status).toBe(400);
    expect(await basic.json()).toMatchObject({
      success: false,
      errors: [{ code: 6003 }],
      result: null,
    });
  });

  it("answers an unknown token with 403/10000", async () => {
    const { client } = harness();
    const error = await apiFailure(client({ apiToken: "not-a-known-token" }).zones.list());
    expect(error).toBeInstanceOf(PermissionDeniedError);
    expect(codes(error)).toEqual([10000]);
  });

  it("limits a token to its accounts", async () => {
    const { sandbox, client, account_id } = harness();
    const otherAccount = "0123456789abcdef0123456789abcdef";
    sandbox.addAccount(otherAccount);
    const otherZone = sandbox.addZone({ name: "other.net", account_id: otherAccount });
    sandbox.addToken("scoped-token", { accounts: [otherAccount] });
    const scoped = client({ apiToken: "scoped-token" });

    expect((await scoped.zones.list()).result.map((z) => z.id)).toEqual([otherZone.id]);
    const denied = await apiFailure(
      scoped.zeroTrust.tunnels.cloudflared.list({ account_id: account_id }),
    );
    expect(denied.status).toBe(403);
    expect(codes(denied)).toEqual([10000]);
    const created = await scoped.zeroTrust.tunnels.cloudflared.create({
      account_id: otherAccount,
      name: "mine",
    });
    expect(created.account_tag).toBe(otherAccount);
    // The default token sees every account.
    expect((await harness().cf.zones.list()).result).toHaveLength(1);
  });

  it("answers an unknown route with 404/7000", async () => {
    const { sandbox } = harness();
    const response = await raw(sandbox, "GET", "/nothing/here");
    expect(response.status).toBe(404);
    expect(response.json).toMatchObject({ success: false, errors: [{ code: 7000 }] });
  });
});

describe("rate limiting", () => {
  it("enforces the per-token budget with 429/971, Retry-After and Ratelimit headers", async () => {
    let now = Date.parse("2025-01-01T00:00:00Z");
    const { cf, sandbox } = harness({
      clock: () => now,
      rateLimit: { limit: 3, windowMs: 60_000 },
    });

    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { response } = await cf.zones.list().withResponse();
      remaining.push(response.headers.get("ratelimit") ?? "");
      expect(response.headers.get("ratelimit-policy")).toBe('"default";q=3;w=60');
    }
    expect(remaining).toEqual(['"default";r=2;t=60', '"default";r=1;t=60', '"default";r=0;t=60']);

    const limited = await apiFailure(cf.zones.list());
    expect(limited).toBeInstanceOf(RateLimitError);
    expect(codes(limited)).toEqual([971]);
    expect(limited.headers?.get("retry-after")).toBe("60");

    // Exceeding the budget blocks the token for a whole window, counted from the excess.
    now += 30_000;
    const stillBlocked = await apiFailure(cf.zones.list());
    expect(stillBlocked.headers?.get("retry-after")).toBe("30");
    now += 30_000;
    expect((await cf.zones.list()).result).toHaveLength(1);
    expect(sandbox.requests({ path: "/zones" }).map((r) => r.status)).toEqual([
      200, 200, 200, 429, 429, 200,
    ]);
  });

  it("counts each token separately and can be changed or disabled", async () => {
    const { sandbox, client } = harness({ rateLimit: { limit: 1, windowMs: 60_000 } });
    sandbox.addToken("second");
    await client().zones.list();
    await client({ apiToken: "second" }).zones.list();
    expect(codes(await apiFailure(client().zones.list()))).toEqual([971]);
    sandbox.setRateLimit(false);
    await client().zones.list();
    sandbox.setRateLimit({ limit: 2, windowMs: 60_000 });
    await client().zones.list();
    await client().zones.list();
    expect((await apiFailure(client().zones.list())).status).toBe(429);
  });

  it("defaults to 1200 requests per 5 minutes", async () => {
    const sandbox = createCloudflareSandbox();
    const response = await sandbox.fetch(`${sandbox.baseURL}/zones`, {
      headers: { authorization: `Bearer ${sandbox.token}` },
    });
    expect(response.headers.get("ratelimit-policy")).toBe('"default";q=1200;w=300');
  });
});

describe("failure injection", () => {
  it("injects 429s that the SDK retries after Retry-After", async () => {
    const { sandbox, client } = harness();
    const cf = client({ maxRetries: 2 });
    sandbox.failNext({ status: 429, count: 2, retryAfterSeconds: 0 });
    const zones = await cf.zones.list({ name: "example.com" });
    expect(zones.result).toHaveLength(1);
    expect(sandbox.requests({ path: "/zones" }).map((r) => r.status)).toEqual([429, 429, 200]);
  });

  it("defaults an injected 429's Retry-After to the window (300 s)", async () => {
    const { sandbox, cf } = harness();
    sandbox.failNext({ status: 429 });
    const error = await apiFailure(cf.zones.list());
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error.headers?.get("retry-after")).toBe("300");
    expect(codes(error)).toEqual([971]);
    // Only `count` requests fail.
    expect((await cf.zones.list()).result).toHaveLength(1);
  });

  it("injects 500s, only on matching requests", async () => {
    const { sandbox, cf, client, account_id } = harness();
    const creates = (method: string, path: string) =>
      method === "POST" && path === `/accounts/${account_id}/cfd_tunnel`;
    sandbox.failNext({ status: 500, count: 1, match: creates });

    // A non-matching request goes through and leaves the injection pending.
    expect((await cf.zones.list()).result).toHaveLength(1);
    const error = await apiFailure(
      cf.zeroTrust.tunnels.cloudflared.create({ account_id, name: "x" }),
    );
    expect(error).toBeInstanceOf(InternalServerError);
    expect(error.status).toBe(500);
    expect(codes(error)).toEqual([10001]);
    expect(sandbox.state.tunnels.size).toBe(0);

    // With retries the SDK gets through a transient 503.
    sandbox.failNext({ status: 503, count: 1, retryAfterSeconds: 0, match: creates });
    const created = await client({ maxRetries: 1 }).zeroTrust.tunnels.cloudflared.create({
      account_id,
      name: "x",
    });
    expect(created.name).toBe("x");
    expect(sandbox.requests({ method: "POST" }).map((r) => r.status)).toEqual([500, 503, 200]);
  });

  it("fails more requests than the SDK retries when count says so", async () => {
    const { sandbox, client } = harness();
    sandbox.failNext({ status: 502, count: 3, retryAfterSeconds: 0 });
    const error = await apiFailure(client({ maxRetries: 2 }).zones.list());
    expect(error.status).toBe(502);
    expect(sandbox.requests().map((r) => r.status)).toEqual([502, 502, 502]);
  });
});

describe("over a real port", () => {
  it("serves the SDK without a custom fetch", async () => {
    const sandbox = createCloudflareSandbox({ zones: ["example.com"] });
    const server = await sandbox.listen();
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/client\/v4$/);
      const cf = new Cloudflare({ apiToken: sandbox.token, baseURL: server.url, maxRetries: 0 });
      const account_id = sandbox.accountId;
      const tunnel = await cf.zeroTrust.tunnels.cloudflared.create({ account_id, name: "net" });
      const [zone] = (await cf.zones.list({ name: "example.com" })).result;
      await cf.dns.records.create({
        zone_id: zone!.id,
        type: "CNAME",
        name: "net.example.com",
        content: `${tunnel.id}.cfargotunnel.com`,
        proxied: true,
        ttl: 1,
      });
      const records = await cf.dns.records.list({
        zone_id: zone!.id,
        name: { exact: "net.example.com" },
      });
      expect(records.result.map((r) => r.content)).toEqual([`${tunnel.id}.cfargotunnel.com`]);
      const unauthorised = await apiFailure(
        new Cloudflare({ apiToken: "wrong", baseURL: server.url, maxRetries: 0 }).zones.list(),
      );
      expect(unauthorised.status).toBe(403);
      expect(sandbox.requests().map((r) => `${r.method} ${r.status}`)).toEqual([
        "POST 200",
        "GET 200",
        "POST 200",
        "GET 200",
        "GET 403",
      ]);
    } finally {
      await server.close();
    }
  });
});
