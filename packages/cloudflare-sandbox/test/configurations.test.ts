import type Cloudflare from "cloudflare";
import { BadRequestError } from "cloudflare";
import { describe, expect, it } from "vitest";
import { ingressProblem, type TunnelConfig } from "../src/index.ts";
import { apiFailure, codes, harness, raw } from "./helpers.ts";

type ConfigBody = NonNullable<
  Parameters<
    Cloudflare["zeroTrust"]["tunnels"]["cloudflared"]["configurations"]["update"]
  >[1]["config"]
>;

const CATCH_ALL = { hostname: "", service: "http_status:404" };

async function withTunnel() {
  const h = harness();
  const { id } = await h.cf.zeroTrust.tunnels.cloudflared.create({
    account_id: h.account_id,
    name: "cfg",
    config_src: "cloudflare",
  });
  const tunnelId = id!;
  const configurations = h.cf.zeroTrust.tunnels.cloudflared.configurations;
  const put = (config: unknown) =>
    configurations.update(tunnelId, { account_id: h.account_id, config: config as ConfigBody });
  const get = () => configurations.get(tunnelId, { account_id: h.account_id });
  return { ...h, tunnelId, put, get };
}

describe("tunnel configurations", () => {
  it("starts at version 0 and increments the version on every PUT", async () => {
    const { put, get, tunnelId, account_id } = await withTunnel();
    expect(await get()).toMatchObject({ tunnel_id: tunnelId, version: 0, config: null });

    const ingress = [
      {
        hostname: "app.example.com",
        service: "http://app:8080",
        path: "^/api(/|$)",
        originRequest: { noTLSVerify: true, connectTimeout: 30, httpHostHeader: "app.internal" },
      },
      CATCH_ALL,
    ];
    const first = await put({ ingress });
    expect(first).toMatchObject({
      tunnel_id: tunnelId,
      account_id,
      version: 1,
      source: "cloudflare",
      config: { ingress },
    });
    expect(first.created_at).toEqual(expect.any(String));
    expect((await put({ ingress: [CATCH_ALL] })).version).toBe(2);
    const latest = await get();
    expect(latest.version).toBe(2);
    expect(latest.config?.ingress).toEqual([CATCH_ALL]);

    // A rejected PUT changes nothing.
    await apiFailure(put({ ingress: [{ hostname: "x.example.com", service: "http://x" }] }));
    expect((await get()).version).toBe(2);
  });

  it("accepts every service form", async () => {
    const { put } = await withTunnel();
    const services = [
      "http_status:404",
      "unix:/run/app.sock",
      "unix+tls:/run/app.sock",
      "hello_world",
      "bastion",
      "socks-proxy",
      "http://web:8080",
      "https://web",
      "ws://chat:9000",
      "wss://chat",
      "tcp://db:5432",
      "ssh://host:22",
      "rdp://desk:3389",
      "smb://files",
      "http://10.0.0.5:80",
      "http://[::1]:8080",
    ];
    const ingress = [
      ...services.map((service, i) => ({ hostname: `s${i}.example.com`, service })),
      { hostname: "*.example.com", service: "http://wild" },
      { hostname: "*", path: "^/health$", service: "http_status:204" },
      { hostname: "*", service: "http_status:404" },
    ];
    const result = await put({ ingress });
    expect(result.config?.ingress).toHaveLength(ingress.length);
  });

  const invalid: Array<[string, unknown]> = [
    ["no catch-all at the end", { ingress: [{ hostname: "a.example.com", service: "http://a" }] }],
    [
      "a catch-all before the end",
      { ingress: [CATCH_ALL, { hostname: "a.example.com", service: "http://a" }, CATCH_ALL] },
    ],
    [
      "a `*` catch-all before the end",
      { ingress: [{ hostname: "*", service: "http://a" }, CATCH_ALL] },
    ],
    ["a last rule with a path", { ingress: [{ path: "^/x", service: "http_status:404" }] }],
    [
      "a catch-all first and a specific rule last",
      { ingress: [CATCH_ALL, { hostname: "a.example.com", service: "http://a" }] },
    ],
    [
      "a hostname with a port",
      { ingress: [{ hostname: "a.example.com:443", service: "http://a" }, CATCH_ALL] },
    ],
    [
      "a wildcard that is not the first label",
      { ingress: [{ hostname: "a.*.example.com", service: "http://a" }, CATCH_ALL] },
    ],
    [
      "a wildcard inside the first label",
      { ingress: [{ hostname: "*a.example.com", service: "http://a" }, CATCH_ALL] },
    ],
    [
      "a service URL with a path",
      { ingress: [{ hostname: "a.example.com", service: "http://a:80/api" }, CATCH_ALL] },
    ],
    [
      "a service URL with a bare `/` path",
      { ingress: [{ hostname: "a.example.com", service: "http://a:80/" }, CATCH_ALL] },
    ],
    [
      "a service without a scheme",
      { ingress: [{ hostname: "a.example.com", service: "a:80" }, CATCH_ALL] },
    ],
    [
      "a service URL without a host",
      { ingress: [{ hostname: "a.example.com", service: "http://" }, CATCH_ALL] },
    ],
    [
      "an unknown scheme",
      { ingress: [{ hostname: "a.example.com", service: "ftp://files" }, CATCH_ALL] },
    ],
    [
      "a malformed http_status",
      { ingress: [{ hostname: "a.example.com", service: "http_status:abc" }, CATCH_ALL] },
    ],
    [
      "an unknown named service",
      { ingress: [{ hostname: "a.example.com", service: "hello-world" }, CATCH_ALL] },
    ],
    [
      "an invalid path regular expression",
      { ingress: [{ hostname: "a.example.com", path: "(", service: "http://a" }, CATCH_ALL] },
    ],
    [
      "a duration given as a Go duration string",
      {
        ingress: [
          {
            hostname: "a.example.com",
            service: "http://a",
            originRequest: { connectTimeout: "30s" },
          },
          CATCH_ALL,
        ],
      },
    ],
    ["a fractional duration", { ingress: [CATCH_ALL], originRequest: { tlsTimeout: 1.5 } }],
    [
      "a non-boolean origin option",
      { ingress: [CATCH_ALL], originRequest: { noTLSVerify: "yes" } },
    ],
    ["no ingress at all", { ingress: [] }],
    ["a rule without a service", { ingress: [{ hostname: "" }] }],
  ];

  it.each(invalid)("rejects %s with 400/1056", async (_, config) => {
    const { put, get } = await withTunnel();
    const error = await apiFailure(put(config));
    expect(error).toBeInstanceOf(BadRequestError);
    expect(codes(error)).toEqual([1056]);
    expect(error.error).toMatchObject({ success: false, result: null });
    expect((await get()).version).toBe(0);
  });

  it("accepts wildcards, paths and integer durations (ingressProblem)", () => {
    const ok: TunnelConfig = {
      ingress: [
        {
          hostname: "a.example.com",
          service: "http://a:80",
          originRequest: { connectTimeout: 30 },
        },
        { hostname: "*.example.com", path: "^/x", service: "http://a" },
        CATCH_ALL,
      ],
      originRequest: { tlsTimeout: 10, keepAliveTimeout: 90, matchSNItoHost: true },
    };
    expect(ingressProblem(ok)).toBeUndefined();
  });

  it("answers malformed JSON with 400/6007 and a missing config with 400/1056", async () => {
    const { sandbox, tunnelId, account_id } = await withTunnel();
    const path = `/accounts/${account_id}/cfd_tunnel/${tunnelId}/configurations`;
    const malformed = await raw(sandbox, "PUT", path, { body: "{not json" });
    expect(malformed.status).toBe(400);
    expect(malformed.json).toMatchObject({
      success: false,
      errors: [{ code: 6007 }],
      result: null,
    });
    const missing = await raw(sandbox, "PUT", path, { body: "{}" });
    expect(missing.status).toBe(400);
    expect(missing.json).toMatchObject({ errors: [{ code: 1056 }] });
  });

  it("refuses to configure a deleted tunnel", async () => {
    const { put, cf, tunnelId, account_id } = await withTunnel();
    await cf.zeroTrust.tunnels.cloudflared.delete(tunnelId, { account_id });
    const error = await apiFailure(put({ ingress: [CATCH_ALL] }));
    expect(error.status).toBe(404);
  });
});
