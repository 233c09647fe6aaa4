import { describe, expect, it } from "vitest";
import { isEnabled, normalizePath, parseLabels } from "../src/index.ts";

describe("parseLabels", () => {
  it("ignores containers without the enable label", () => {
    expect(parseLabels({ "dockflare.domain": "app.example.com" })).toEqual({
      enabled: false,
      rules: [],
      blocked: [],
      errors: [],
      warnings: [],
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

describe("parseLabels: nothing is ignored", () => {
  const base = { "dockflare.enable": "true", "dockflare.service": "http://web:80" };

  it("blocks every hostname of a container with DockFlare's access labels misspelt in the base group", () => {
    const parsed = parseLabels({
      ...base,
      "dockflare.hostname": "a.example.com",
      "dockflare.0.hostname": "b.example.com",
      "dockflare.acess.policy": "allow",
    });
    expect(parsed.rules).toEqual([]);
    expect(parsed.blocked.map((b) => [b.hostname, b.label])).toEqual([
      ["a.example.com", "dockflare.acess.policy"],
      ["b.example.com", "dockflare.acess.policy"],
    ]);
    expect(parsed.blocked[0]?.message).toBe(
      "unknown label dockflare.acess.policy: not published until fixed or removed",
    );
  });

  it("blocks only the indexed group with an unknown key", () => {
    const parsed = parseLabels({
      ...base,
      "dockflare.0.hostname": "a.example.com",
      "dockflare.1.hostname": "b.example.com",
      "dockflare.1.no_tls_verfy": "true",
    });
    expect(parsed.rules.map((r) => r.hostname)).toEqual(["a.example.com"]);
    expect(parsed.blocked.map((b) => [b.hostname, b.label])).toEqual([
      ["b.example.com", "dockflare.1.no_tls_verfy"],
    ]);
    expect(parsed.warnings).toEqual([]);
  });

  it("only warns about an unknown key in an indexed group that names no hostname", () => {
    const parsed = parseLabels({
      ...base,
      "dockflare.hostname": "a.example.com",
      "dockflare.2.hostnme": "b.example.com",
    });
    expect(parsed.rules.map((r) => r.hostname)).toEqual(["a.example.com"]);
    expect(parsed.errors).toEqual([]);
    expect(parsed.warnings).toEqual([
      {
        label: "dockflare.2.hostnme",
        message:
          "unknown label dockflare.2.hostnme; group 2 names no hostname, so nothing of it is published",
      },
    ]);
  });

  it("reports an unknown key when no group names a hostname", () => {
    const parsed = parseLabels({
      "dockflare.enable": "true",
      "dockflare.hostnam": "a.example.com",
    });
    expect(parsed.errors.map((e) => e.label)).toEqual(["dockflare.hostnam"]);
    expect(parsed.blocked).toEqual([]);
  });
});

describe("parseLabels: access", () => {
  const host = {
    "dockflare.enable": "true",
    "dockflare.hostname": "app.example.com",
    "dockflare.service": "http://web:80",
  };

  it("reads DockFlare's access labels", () => {
    const parsed = parseLabels({
      ...host,
      "dockflare.access.policy": "allow",
      "dockflare.access.emails": "Ops@Example.com, dev@example.com",
      "dockflare.access.email_domains": "@example.org",
      "dockflare.access.groups": "admins",
      "dockflare.access.idps": "0a1b2c3d-aaaa-bbbb-cccc-1234567890ab",
      "dockflare.access.session_duration": "1h30m",
      "dockflare.access.app_launcher_visible": "false",
      "dockflare.access.name": "App (prod)",
    });
    expect(parsed.errors).toEqual([]);
    expect(parsed.rules[0]?.access).toEqual({
      policy: "allow",
      emails: ["ops@example.com", "dev@example.com"],
      email_domains: ["example.org"],
      groups: ["admins"],
      idps: ["0a1b2c3d-aaaa-bbbb-cccc-1234567890ab"],
      session_duration: "1h30m",
      app_launcher_visible: false,
      name: "App (prod)",
    });
  });

  it("takes the indexed group's access labels as a whole, else the base ones", () => {
    const parsed = parseLabels({
      ...host,
      "dockflare.access.policy": "allow",
      "dockflare.access.emails": "ops@example.com",
      "dockflare.0.hostname": "open.example.com",
      "dockflare.0.access.policy": "bypass",
      "dockflare.1.hostname": "other.example.com",
    });
    expect(parsed.errors).toEqual([]);
    expect(parsed.rules.map((r) => [r.hostname, r.access])).toEqual([
      ["app.example.com", { policy: "allow", emails: ["ops@example.com"] }],
      ["open.example.com", { policy: "bypass" }],
      ["other.example.com", { policy: "allow", emails: ["ops@example.com"] }],
    ]);
  });

  it.each([
    [{ "dockflare.access.emails": "ops@example.com" }, "dockflare.access.policy", /no default/],
    [{ "dockflare.access.policy": "alow" }, "dockflare.access.policy", /allow, bypass or deny/],
    [{ "dockflare.access.policy": "allow" }, "dockflare.access.policy", /whom to allow/],
    [
      { "dockflare.access.policy": "bypass", "dockflare.access.emails": "a@example.com" },
      "dockflare.access.policy",
      /bypass .* cannot be mixed with identity rules \(access\.emails\)/,
    ],
    [
      { "dockflare.access.policy": "deny", "dockflare.access.session_duration": "1h" },
      "dockflare.access.policy",
      /deny .* takes no other access label \(access\.session_duration\)/,
    ],
    [
      { "dockflare.access.policy": "allow", "dockflare.access.emails": "not-an-email" },
      "dockflare.access.emails",
      /emails/,
    ],
    [
      { "dockflare.access.policy": "allow", "dockflare.access.groups": "Admins!" },
      "dockflare.access.groups",
      /policy names/,
    ],
    [
      {
        "dockflare.access.policy": "allow",
        "dockflare.access.emails": "a@example.com",
        "dockflare.access.session_duration": "1 day",
      },
      "dockflare.access.session_duration",
      /duration/,
    ],
  ])("blocks the hostname for %j", (labels, label, message) => {
    const parsed = parseLabels({ ...host, ...labels });
    expect(parsed.rules).toEqual([]);
    expect(parsed.blocked).toEqual([
      { hostname: "app.example.com", label, message: expect.stringMatching(message) },
    ]);
  });
});

describe("parseLabels: origin options", () => {
  it("maps every cloudflared originRequest option, durations in seconds", () => {
    const parsed = parseLabels({
      "dockflare.enable": "true",
      "dockflare.hostname": "app.example.com",
      "dockflare.service": "https://web:443",
      "dockflare.connect_timeout": "30s",
      "dockflare.tls_timeout": "10",
      "dockflare.tcp_keep_alive": "1m",
      "dockflare.keep_alive_timeout": "1h",
      "dockflare.keep_alive_connections": "100",
      "dockflare.no_happy_eyeballs": "true",
      "dockflare.httpHostHeader": "internal.example.com",
      "dockflare.originsrvname": "web.internal",
      "dockflare.match_sni_to_host": "true",
      "dockflare.ca_pool": "/etc/ssl/ca.pem",
      "dockflare.no_tls_verify": "false",
      "dockflare.disable_chunked_encoding": "true",
      "dockflare.http2_origin": "true",
      "dockflare.proxy_type": "socks",
    });
    expect(parsed.errors).toEqual([]);
    expect(parsed.rules[0]?.origin_request).toEqual({
      connectTimeout: 30,
      tlsTimeout: 10,
      tcpKeepAlive: 60,
      keepAliveTimeout: 3600,
      keepAliveConnections: 100,
      noHappyEyeballs: true,
      httpHostHeader: "internal.example.com",
      originServerName: "web.internal",
      matchSNItoHost: true,
      caPool: "/etc/ssl/ca.pem",
      noTLSVerify: false,
      disableChunkedEncoding: true,
      http2Origin: true,
      proxyType: "socks",
    });
  });

  it.each([
    ["dockflare.connect_timeout", "30 seconds"],
    ["dockflare.keep_alive_timeout", "2d"],
    ["dockflare.keep_alive_connections", "-1"],
    ["dockflare.ca_pool", "../ca.pem"],
    ["dockflare.proxy_type", "http"],
  ])("blocks %s=%s", (label, value) => {
    const parsed = parseLabels({
      "dockflare.enable": "true",
      "dockflare.hostname": "app.example.com",
      "dockflare.service": "https://web:443",
      [label]: value,
    });
    expect(parsed.rules).toEqual([]);
    expect(parsed.blocked.map((b) => b.label)).toEqual([label]);
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
