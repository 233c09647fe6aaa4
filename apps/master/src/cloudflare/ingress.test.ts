import { describe, expect, it } from "vitest";
import { CloudflareError } from "./errors.ts";
import {
  ingressProblems,
  type ManagedIngressRule,
  markIngress,
  mergeIngress,
  normalizeHostname,
  ruleKey,
  sameIngress,
  type WireIngressRule,
} from "./ingress.ts";
import { harness, rejection } from "./test-harness.ts";

const CATCH_ALL = { service: "http_status:404" };

describe("ingress merge (pure)", () => {
  it("keys rules by normalised hostname and path", () => {
    expect(ruleKey({ hostname: "App.Example.com.", path: "^/api" })).toBe("app.example.com ^/api");
    expect(ruleKey({ hostname: "app.example.com" })).toBe("app.example.com ");
    expect(normalizeHostname("app.example.com:8443")).toBe("app.example.com");
  });

  it("orders exact before wildcard and a path before none, catch-all last", () => {
    const { ingress } = mergeIngress(
      [],
      [
        { hostname: "*.example.com", service: "http://wild:80" },
        { hostname: "app.example.com", service: "http://app:80" },
        { hostname: "app.example.com", service: "http://api:80", path: "^/api(/|$)" },
      ],
      [],
    );
    expect(ingress).toEqual([
      { hostname: "app.example.com", service: "http://api:80", path: "^/api(/|$)" },
      { hostname: "app.example.com", service: "http://app:80" },
      { hostname: "*.example.com", service: "http://wild:80" },
      CATCH_ALL,
    ]);
    expect(ingressProblems(ingress)).toEqual([]);
  });

  it("keeps an existing custom catch-all and foreign rules with their unknown fields", () => {
    const existing: WireIngressRule[] = [
      { hostname: "manual.example.com", service: "http://manual:80", extra: { a: 1 } },
      { service: "http_status:503" },
    ];
    const { ingress } = mergeIngress(
      existing,
      [{ hostname: "a.example.com", service: "http://a:1" }],
      [],
    );
    expect(ingress).toEqual([
      { hostname: "manual.example.com", service: "http://manual:80", extra: { a: 1 } },
      { hostname: "a.example.com", service: "http://a:1" },
      { service: "http_status:503" },
    ]);
  });

  it("treats '' and {} as absent when comparing", () => {
    expect(
      sameIngress(
        [
          { hostname: "a.example.com", service: "http://a:1", path: "", originRequest: {} },
          { hostname: "", service: "http_status:404" },
        ],
        [{ hostname: "a.example.com", service: "http://a:1" }, CATCH_ALL],
      ),
    ).toBe(true);
    expect(
      sameIngress(
        [{ hostname: "a.example.com", service: "http://a:1" }, CATCH_ALL],
        [{ hostname: "a.example.com", service: "http://a:2" }, CATCH_ALL],
      ),
    ).toBe(false);
  });

  it("reports what the API would reject", () => {
    expect(
      ingressProblems([
        { hostname: "a.example.com:80", service: "http://a:1" },
        { hostname: "b.example.com", service: "http://b:1/path" },
        { hostname: "c.*.example.com", service: "http://c:1" },
        { hostname: "d.example.com", service: "ftp://d:1" },
        { hostname: "e.example.com", service: "http://e:1", path: "(" },
        CATCH_ALL,
      ]),
    ).toEqual([
      expect.stringContaining("must not contain a port"),
      expect.stringContaining("must not have a path"),
      expect.stringContaining('"*" may only be the whole first label'),
      expect.stringContaining("unsupported scheme"),
      expect.stringContaining("not a valid regular expression"),
    ]);
    expect(
      ingressProblems([CATCH_ALL, { hostname: "a.example.com", service: "http://a:1" }]),
    ).toEqual([
      expect.stringContaining("matches everything but is not last"),
      expect.stringContaining("the last rule must be a catch-all"),
    ]);
  });
});

describe("ingress marking (pure)", () => {
  it("marks entries whose key the master owns as managed, the rest as the operator's", () => {
    const marked = markIngress(
      [
        { hostname: "App.Example.com", service: "http://app:80", path: "^/api" },
        { hostname: "app.example.com", service: "http://app:80" },
        { hostname: "legacy.example.com", service: "http://legacy:80", originRequest: {} },
        { hostname: "*", service: "http_status:503" },
      ],
      ["app.example.com ^/api", "gone.example.com "],
    );
    expect(marked).toEqual({
      entries: [
        { hostname: "App.Example.com", path: "^/api", service: "http://app:80", managed: true },
        { hostname: "app.example.com", path: null, service: "http://app:80", managed: false },
        { hostname: "legacy.example.com", path: null, service: "http://legacy:80", managed: false },
      ],
      catchAll: "http_status:503",
    });
  });

  it("reports no catch-all for an empty ingress and treats an empty path as none", () => {
    expect(markIngress([], [])).toEqual({ entries: [], catchAll: null });
    expect(
      markIngress(
        [{ hostname: "a.example.com", path: "", service: "http://a:1" }],
        ["A.example.com."],
      ),
    ).toEqual({
      entries: [{ hostname: "a.example.com", path: null, service: "http://a:1", managed: true }],
      catchAll: null,
    });
  });
});

describe("syncIngress against the sandbox", () => {
  const app: ManagedIngressRule = { hostname: "app.example.com", service: "http://web:8080" };

  async function setup() {
    const h = harness();
    const tunnel = await h.gateway.ensureTunnel("edge");
    const configPath = `/accounts/${h.accountId}/cfd_tunnel/${tunnel.id}/configurations`;
    const ingress = () => h.sandbox.state.configurations.get(tunnel.id)?.config?.ingress;
    const puts = () => h.sandbox.requests({ method: "PUT", path: configPath });
    /** Writes the tunnel's ingress by hand, like someone in the dashboard. */
    const writeByHand = (rules: WireIngressRule[]) =>
      h.cf.zeroTrust.tunnels.cloudflared.configurations.update(tunnel.id, {
        account_id: h.accountId,
        // Typing gap of the SDK: the catch-all has no hostname.
        config: { ingress: rules as Array<{ hostname: string; service: string }> },
      });
    return { ...h, tunnel, ingress, puts, writeByHand };
  }

  it("writes the first ingress with the catch-all last", async () => {
    const { gateway, tunnel, ingress, puts } = await setup();
    expect(await gateway.syncIngress(tunnel.id, [app], [])).toEqual({ changed: true });
    expect(ingress()).toEqual([app, CATCH_ALL]);
    expect(puts()).toHaveLength(1);
  });

  it("does not PUT when nothing changed", async () => {
    const { gateway, tunnel, puts, sandbox } = await setup();
    await gateway.syncIngress(tunnel.id, [app], []);
    const version = sandbox.state.configurations.get(tunnel.id)?.version;

    expect(await gateway.syncIngress(tunnel.id, [app], [ruleKey(app)])).toEqual({ changed: false });
    expect(puts()).toHaveLength(1);
    expect(sandbox.state.configurations.get(tunnel.id)?.version).toBe(version);
  });

  it("keeps a rule added by hand and removes only owned rules", async () => {
    const { gateway, tunnel, ingress, writeByHand } = await setup();
    const other: ManagedIngressRule = { hostname: "other.example.com", service: "http://other:80" };
    await gateway.syncIngress(tunnel.id, [app, other], []);
    const manual = { hostname: "manual.example.com", service: "http://manual:9000" };
    const current = ingress() ?? [];
    await writeByHand([manual, ...current]);

    // `other` is owned but no longer desired: removed; the manual rule is kept.
    const result = await gateway.syncIngress(tunnel.id, [app], [ruleKey(app), ruleKey(other)]);

    expect(result).toEqual({ changed: true });
    expect(ingress()).toEqual([manual, app, CATCH_ALL]);
  });

  it("replaces an owned rule whose service changed and keeps foreign rules in place", async () => {
    const { gateway, tunnel, ingress, writeByHand } = await setup();
    const manual = { hostname: "manual.example.com", service: "http://manual:9000" };
    await writeByHand([
      manual,
      { hostname: "app.example.com", service: "http://old:1" },
      CATCH_ALL,
    ]);

    await gateway.syncIngress(tunnel.id, [app], [ruleKey(app)]);

    expect(ingress()).toEqual([manual, app, CATCH_ALL]);
  });

  it("writes path and originRequest, and keeps the path rule ahead of the host rule", async () => {
    const { gateway, tunnel, ingress } = await setup();
    const api: ManagedIngressRule = {
      hostname: "app.example.com",
      service: "https://api:8443",
      path: "^/api(/|$)",
      origin_request: { noTLSVerify: true, originServerName: "api.internal", http2Origin: true },
    };

    await gateway.syncIngress(tunnel.id, [app, api], []);

    expect(ingress()).toEqual([
      {
        hostname: "app.example.com",
        service: "https://api:8443",
        path: "^/api(/|$)",
        originRequest: { noTLSVerify: true, originServerName: "api.internal", http2Origin: true },
      },
      app,
      CATCH_ALL,
    ]);
    // Owned keys distinguish the path: dropping only the api rule keeps the host rule.
    await gateway.syncIngress(tunnel.id, [app], [ruleKey(app), ruleKey(api)]);
    expect(ingress()).toEqual([app, CATCH_ALL]);
  });

  it("strips a port from a hostname before writing", async () => {
    const { gateway, tunnel, ingress } = await setup();
    await gateway.syncIngress(
      tunnel.id,
      [{ hostname: "App.Example.com:443", service: "http://web:8080" }],
      [],
    );
    expect(ingress()).toEqual([app, CATCH_ALL]);
  });

  it("refuses an invalid rule before sending anything", async () => {
    const { gateway, tunnel, puts } = await setup();
    const error = await rejection(
      gateway.syncIngress(
        tunnel.id,
        [{ hostname: "app.example.com", service: "http://web:8080/" }],
        [],
      ),
    );
    expect(error).toBeInstanceOf(CloudflareError);
    expect(error).toMatchObject({ kind: "invalid_ingress", retryable: false });
    expect((error as Error).message).toContain("must not have a path");
    expect(puts()).toHaveLength(0);
  });
});
