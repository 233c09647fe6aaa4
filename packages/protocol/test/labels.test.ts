import { describe, expect, it } from "vitest";
import { isEnabled, normalizePath, parseLabels } from "../src/index.ts";

describe("parseLabels", () => {
  it("ignores containers without the enable label", () => {
    expect(parseLabels({ "dockflare.domain": "app.example.com" })).toEqual({
      enabled: false,
      rules: [],
      errors: [],
    });
    expect(isEnabled({ "dockflare.enable": "TRUE" })).toBe(true);
    expect(isEnabled({ "dockflare.enable": "false" })).toBe(false);
  });

  it("reads the seed's domain + port form (seed 2.1)", () => {
    const parsed = parseLabels(
      {
        "dockflare.enable": "true",
        "dockflare.domain": "app.example.com",
        "dockflare.port": "8080",
      },
      { containerName: "web-app" },
    );
    expect(parsed.rules).toEqual([{ hostname: "app.example.com", service: "http://web-app:8080" }]);
    expect(parsed.errors).toEqual([]);
  });

  it("reads DockFlare's hostname, service, path, zonename and origin options", () => {
    const parsed = parseLabels({
      "dockflare.enable": "true",
      "dockflare.hostname": "API.Example.com",
      "dockflare.service": "https://api:8443",
      "dockflare.path": "/v1",
      "dockflare.zonename": "example.com",
      "dockflare.no_tls_verify": "true",
      "dockflare.originsrvname": "api.internal",
      "dockflare.http2_origin": "false",
    });
    expect(parsed.rules).toEqual([
      {
        hostname: "api.example.com",
        service: "https://api:8443",
        path: "^/v1(/.*)?$",
        zone_name: "example.com",
        origin_request: { noTLSVerify: true, originServerName: "api.internal", http2Origin: false },
      },
    ]);
  });

  it("reads indexed hostnames, falling back to the base labels", () => {
    const parsed = parseLabels({
      "dockflare.enable": "true",
      "dockflare.service": "http://web:80",
      "dockflare.0.hostname": "a.example.com",
      "dockflare.1.hostname": "b.example.org",
      "dockflare.1.service": "http://web:81",
      "dockflare.1.zonename": "example.org",
    });
    expect(parsed.rules).toEqual([
      { hostname: "a.example.com", service: "http://web:80" },
      { hostname: "b.example.org", service: "http://web:81", zone_name: "example.org" },
    ]);
  });

  it("keeps both the base hostname and indexed ones (a second hostname never drops the first)", () => {
    const parsed = parseLabels({
      "dockflare.enable": "true",
      "dockflare.hostname": "one.example.com",
      "dockflare.service": "http://web:80",
      "dockflare.0.hostname": "two.example.com",
    });
    expect(parsed.rules.map((r) => r.hostname)).toEqual(["one.example.com", "two.example.com"]);
  });

  it("accepts a wildcard only as the first label", () => {
    const ok = parseLabels({
      "dockflare.enable": "true",
      "dockflare.hostname": "*.example.com",
      "dockflare.service": "http_status:404",
    });
    expect(ok.rules[0]?.hostname).toBe("*.example.com");
    const bad = parseLabels({
      "dockflare.enable": "true",
      "dockflare.hostname": "a.*.example.com",
      "dockflare.service": "http://x:1",
    });
    expect(bad.rules).toEqual([]);
    expect(bad.errors[0]?.label).toBe("dockflare.hostname");
  });

  it.each([
    [
      "hostname with a port",
      { "dockflare.hostname": "a.example.com:8080", "dockflare.service": "http://x:1" },
      "dockflare.hostname",
    ],
    [
      "hostname with a newline",
      { "dockflare.hostname": "a.example.com\n- service: x", "dockflare.service": "http://x:1" },
      "dockflare.hostname",
    ],
    [
      "service with a path",
      { "dockflare.hostname": "a.example.com", "dockflare.service": "http://x:1/admin" },
      "dockflare.service",
    ],
    [
      "service with a bad scheme",
      { "dockflare.hostname": "a.example.com", "dockflare.service": "file:///etc/passwd" },
      "dockflare.service",
    ],
    [
      "port out of range",
      { "dockflare.domain": "a.example.com", "dockflare.port": "70000" },
      "dockflare.port",
    ],
    [
      "path with spaces",
      {
        "dockflare.hostname": "a.example.com",
        "dockflare.service": "http://x:1",
        "dockflare.path": "/a b",
      },
      "dockflare.path",
    ],
    [
      "invalid path regex",
      {
        "dockflare.hostname": "a.example.com",
        "dockflare.service": "http://x:1",
        "dockflare.path": "^/(",
      },
      "dockflare.path",
    ],
    [
      "hostname outside its zone",
      {
        "dockflare.hostname": "a.example.com",
        "dockflare.service": "http://x:1",
        "dockflare.zonename": "other.org",
      },
      "dockflare.zonename",
    ],
    [
      "bad boolean",
      {
        "dockflare.hostname": "a.example.com",
        "dockflare.service": "http://x:1",
        "dockflare.no_tls_verify": "maybe",
      },
      "dockflare.no_tls_verify",
    ],
    ["no service", { "dockflare.hostname": "a.example.com" }, "dockflare.*"],
  ])("rejects %s", (_case, labels, label) => {
    const parsed = parseLabels({ "dockflare.enable": "true", ...labels }, { containerName: "web" });
    expect(parsed.rules).toEqual([]);
    expect(parsed.errors.map((e) => e.label)).toEqual([label]);
  });

  it("honours a custom prefix", () => {
    const parsed = parseLabels(
      {
        "acme.enable": "true",
        "acme.domain": "x.example.com",
        "acme.port": "80",
        "dockflare.enable": "false",
      },
      { prefix: "acme.", containerName: "svc" },
    );
    expect(parsed.rules).toEqual([{ hostname: "x.example.com", service: "http://svc:80" }]);
  });

  it("says so when enabled without any hostname", () => {
    expect(parseLabels({ "dockflare.enable": "true" }).errors).toHaveLength(1);
  });
});

describe("normalizePath", () => {
  it("anchors plain paths as prefixes and keeps regexes", () => {
    expect(normalizePath("/api/")).toBe("^/api(/.*)?$");
    expect(normalizePath("/")).toBe("^/");
    expect(normalizePath("/v1.2")).toBe("^/v1\\.2(/.*)?$");
    expect(normalizePath("^/img/.*\\.png$")).toBe("^/img/.*\\.png$");
    expect(normalizePath("api")).toEqual({ error: expect.stringMatching(/start with/) });
  });
});
