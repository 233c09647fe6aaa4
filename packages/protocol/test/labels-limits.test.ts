import { describe, expect, it } from "vitest";
import { isEnabled, parseLabels, validateHostname, validateService } from "../src/labels.ts";

const rule = (labels: Record<string, string>, containerName = "web") =>
  parseLabels({ "dockflare.enable": "true", ...labels }, { containerName });

describe("validateService", () => {
  it.each([
    "http://web:8080",
    "https://web",
    "ws://a.b-c:1",
    "wss://web:65535",
    "tcp://db:5432",
    "ssh://h:22",
    "rdp://h:3389",
    "smb://h:445",
    "http_status:404",
    "http_status:100",
    "http_status:599",
    "hello_world",
    "  http://web:80  ",
  ])("accepts %s", (service) => {
    expect(validateService(service)).toBeUndefined();
  });

  it.each([
    ["http://user:secret@web:80", /^service must be scheme/],
    ["http://user@web:80", /^service host "user@web" is invalid$/],
    ["http://web:0", /^service port 0 is out of range$/],
    ["http://web:65536", /^service port 65536 is out of range$/],
    ["http://web:123456", /^service must be scheme/],
    ["http://-web:80", /^service host "-web" is invalid$/],
    ["http://web-:80", /^service host "web-" is invalid$/],
    ["http://web:80?x=1", /^service must be scheme/],
    ["ftp://web:21", /^service must be scheme/],
    ["xhttp://web:80", /^service must be scheme/],
    ["http_status:600", /^service must be scheme/],
    ["http_status:40", /^service must be scheme/],
    ["http_status:4040", /^service must be scheme/],
    ["hello_world!", /^service must be scheme/],
  ])("refuses %s", (service, message) => {
    expect(validateService(service)).toMatch(message);
  });
});

describe("validateHostname", () => {
  it("normalises case, blanks and a trailing dot", () => {
    expect(validateHostname(" App.Example.COM. ")).toBe("app.example.com");
  });

  it("keeps the limits of DNS names", () => {
    const label63 = "a".repeat(63);
    expect(validateHostname(`${label63}.example.com`)).toBe(`${label63}.example.com`);
    expect(validateHostname(`${label63}b.example.com`)).toMatch(/^hostname label "a+b" is invalid/);
    const long = `${label63}.`.repeat(3);
    expect(validateHostname(`${long}${"a".repeat(61)}`)).toBe(`${long}${"a".repeat(61)}`);
    expect(validateHostname(`${long}${"a".repeat(62)}`)).toBe(
      "hostname must be 1 to 253 characters",
    );
    expect(validateHostname("")).toBe("hostname must be 1 to 253 characters");
    expect(validateHostname("localhost")).toBe(
      "hostname must have at least two labels (e.g. app.example.com)",
    );
    expect(validateHostname("-a.example.com")).toMatch(/^hostname label "-a" is invalid/);
    expect(validateHostname("a-.example.com")).toMatch(/^hostname label "a-" is invalid/);
    expect(validateHostname("a..example.com")).toMatch(/^hostname label "" is invalid/);
    expect(validateHostname("a_b.example.com")).toMatch(/^hostname label "a_b" is invalid/);
    expect(validateHostname("*.example.com")).toBe("*.example.com");
    expect(validateHostname("example.*")).toMatch(/^hostname label "\*" is invalid/);
  });
});

describe("isEnabled", () => {
  it("takes true, 1, yes and on, in any case, and nothing else", () => {
    for (const value of ["true", "1", "yes", "on", " TRUE "]) {
      expect(isEnabled({ "dockflare.enable": value })).toBe(true);
    }
    for (const value of ["false", "0", "", "enabled"]) {
      expect(isEnabled({ "dockflare.enable": value })).toBe(false);
    }
    expect(isEnabled({})).toBe(false);
    expect(isEnabled({ "x.enable": "true" }, "x.")).toBe(true);
  });
});

describe("parseLabels limits", () => {
  it("accepts ports 1 and 65535 and refuses 0, 65536 and non-numbers", () => {
    expect(rule({ "dockflare.domain": "a.example.com", "dockflare.port": "1" }).rules).toEqual([
      { hostname: "a.example.com", service: "http://web:1" },
    ]);
    expect(
      rule({ "dockflare.domain": "a.example.com", "dockflare.port": " 65535 " }).rules[0]?.service,
    ).toBe("http://web:65535");
    for (const port of ["0", "65536", "8o", "-1", "1e3", ""]) {
      expect(rule({ "dockflare.domain": "a.example.com", "dockflare.port": port }).errors).toEqual([
        { label: "dockflare.port", message: "port must be a number from 1 to 65535" },
      ]);
    }
  });

  it("builds a service from a port only with a valid container name", () => {
    for (const name of ["", "-web", "a/b", "x y"]) {
      expect(rule({ "dockflare.domain": "a.example.com", "dockflare.port": "80" }, name)).toEqual({
        enabled: true,
        rules: [],
        errors: [
          {
            label: "dockflare.port",
            message: "a port label needs a valid container or service name",
          },
        ],
        // The hostname the bad label was for is blocked, never published without its service.
        blocked: [
          {
            hostname: "a.example.com",
            label: "dockflare.port",
            message: "a port label needs a valid container or service name",
          },
        ],
        warnings: [],
      });
    }
  });

  it("checks origin host options as host names and booleans in every spelling", () => {
    const base = { "dockflare.hostname": "a.example.com", "dockflare.service": "https://web" };
    expect(
      rule({
        ...base,
        "dockflare.originsrvname": " origin.example.com ",
        "dockflare.httpHostHeader": "h",
        "dockflare.no_tls_verify": "YES",
        "dockflare.http2_origin": "off",
        "dockflare.disable_chunked_encoding": "0",
        "dockflare.match_sni_to_host": "1",
      }).rules[0]?.origin_request,
    ).toEqual({
      originServerName: "origin.example.com",
      httpHostHeader: "h",
      noTLSVerify: true,
      http2Origin: false,
      disableChunkedEncoding: false,
      matchSNItoHost: true,
    });
    for (const value of ["evil.com\nHost: x", "a b", "-a", "a/b", "user@h", ""]) {
      expect(rule({ ...base, "dockflare.httpHostHeader": value }).errors).toEqual([
        { label: "dockflare.httpHostHeader", message: "must be a host name" },
      ]);
    }
    expect(rule({ ...base, "dockflare.originsrvname": "a:b" }).errors).toEqual([
      { label: "dockflare.originsrvname", message: "must be a host name" },
    ]);
    expect(rule(base).rules[0]).toEqual({ hostname: "a.example.com", service: "https://web" });
  });

  it("takes a zone the hostname lies in, label-aligned, and no wildcard zone", () => {
    const base = { "dockflare.hostname": "a.example.com", "dockflare.service": "https://web" };
    expect(rule({ ...base, "dockflare.zonename": "Example.com." }).rules[0]?.zone_name).toBe(
      "example.com",
    );
    expect(
      rule({ ...base, "dockflare.hostname": "example.com", "dockflare.zonename": "example.com" })
        .rules[0]?.zone_name,
    ).toBe("example.com");
    expect(
      rule({
        ...base,
        "dockflare.hostname": "a.badexample.com",
        "dockflare.zonename": "example.com",
      }).errors,
    ).toEqual([
      {
        label: "dockflare.zonename",
        message: "hostname a.badexample.com is not inside zone example.com",
      },
    ]);
    for (const zone of ["*.example.com", "com", "exa mple.com"]) {
      expect(rule({ ...base, "dockflare.zonename": zone }).errors).toEqual([
        { label: "dockflare.zonename", message: "zonename must be a domain such as example.com" },
      ]);
    }
  });

  it("names the failing label of an indexed group, and keeps one rule per hostname and path", () => {
    const parsed = rule({
      "dockflare.hostname": "a.example.com",
      "dockflare.service": "https://web",
      "dockflare.0.hostname": "a.example.com",
      "dockflare.1.hostname": "b.example.com",
      "dockflare.1.path": "/x",
      "dockflare.2.hostname": "c.example.com",
      "dockflare.2.service": "https://web:99999",
      "dockflare.10.hostname": "d.example.com",
      "dockflare.3.path": "/no-host",
    });
    expect(parsed.rules).toEqual([
      { hostname: "a.example.com", service: "https://web" },
      { hostname: "b.example.com", service: "https://web", path: "^/x(/.*)?$" },
      { hostname: "d.example.com", service: "https://web" },
    ]);
    expect(parsed.errors).toEqual([
      { label: "dockflare.2.service", message: "service port 99999 is out of range" },
    ]);
  });

  it("escapes the prefix when it looks for indexed labels", () => {
    const parsed = parseLabels(
      { "a.b.enable": "true", "axb.0.hostname": "x.example.com", "a.b.service": "https://s" },
      { prefix: "a.b." },
    );
    expect(parsed.errors).toEqual([
      { label: "a.b.hostname", message: "enabled, but no hostname or domain label" },
    ]);
  });
});
