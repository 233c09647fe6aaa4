import { describe, expect, it } from "vitest";
import {
  isAllowedOrigin,
  isLoopbackHostname,
  judgeHandshake,
  normalizeOrigin,
  type OriginPolicy,
  parseHostHeader,
} from "./origin-guard.ts";

const loopback: OriginPolicy = { loopbackOnly: true, allowedOrigins: [] };
const exposed: OriginPolicy = { loopbackOnly: false, allowedOrigins: [] };
const withConsole: OriginPolicy = {
  loopbackOnly: true,
  allowedOrigins: ["http://localhost:3000", "https://console.example.com"],
};

const accepted = { ok: true };

describe("parseHostHeader", () => {
  it("splits a name, IPv4 or bracketed IPv6 address from its port", () => {
    expect(parseHostHeader("localhost:8000")).toEqual({ hostname: "localhost", port: "8000" });
    expect(parseHostHeader("127.0.0.1")).toEqual({ hostname: "127.0.0.1", port: "" });
    expect(parseHostHeader("[::1]:8000")).toEqual({ hostname: "[::1]", port: "8000" });
  });

  it("writes names in lower case without a trailing dot, addresses as URLs write them", () => {
    expect(parseHostHeader("LocalHost.:80")).toEqual({ hostname: "localhost", port: "80" });
    expect(parseHostHeader("127.0.0.1.:8000")).toEqual({ hostname: "127.0.0.1", port: "8000" });
    expect(parseHostHeader("[0:0:0:0:0:0:0:1]")).toEqual({ hostname: "[::1]", port: "" });
    expect(parseHostHeader("127.1")).toEqual({ hostname: "127.0.0.1", port: "" });
  });

  it("refuses what is not a host: user info, paths, bad ports, empty names, bare IPv6", () => {
    for (const bad of [
      "",
      "evil.example@127.0.0.1",
      "127.0.0.1/x",
      "127.0.0.1:99999",
      "127.0.0.1:",
      "127.0.0.1:80:80",
      "::1",
      "[::1",
      ".",
      "local host",
    ]) {
      expect(parseHostHeader(bad), bad).toBeNull();
    }
  });
});

describe("isLoopbackHostname", () => {
  it("is localhost, 127.0.0.0/8 and [::1], nothing else", () => {
    for (const yes of ["localhost", "127.0.0.1", "127.255.3.4", "[::1]"]) {
      expect(isLoopbackHostname(yes), yes).toBe(true);
    }
    for (const no of [
      "0.0.0.0",
      "10.0.0.1",
      "128.0.0.1",
      "[::]",
      "localhost.evil.example",
      "127.0.0.1.nip.io",
      "evil.example",
    ]) {
      expect(isLoopbackHostname(no), no).toBe(false);
    }
  });
});

describe("normalizeOrigin", () => {
  it("gives the spelling browsers send: lower case, no default port, no trailing dot or slash", () => {
    expect(normalizeOrigin("HTTP://LocalHost:3000")).toBe("http://localhost:3000");
    expect(normalizeOrigin("http://console.example.com:80")).toBe("http://console.example.com");
    expect(normalizeOrigin("https://console.example.com:443/")).toBe("https://console.example.com");
    expect(normalizeOrigin("https://console.example.com.")).toBe("https://console.example.com");
    expect(normalizeOrigin("http://[0:0::1]:8000")).toBe("http://[::1]:8000");
  });

  it("refuses what is not an http(s) origin", () => {
    for (const bad of [
      "null",
      "",
      "console.example.com",
      "file:///etc/passwd",
      "ws://localhost:3000",
      "http://localhost:3000/app",
      "http://user@localhost:3000",
      "http://localhost:3000?x=1",
      "http://localhost:3000#x",
      "*",
    ]) {
      expect(normalizeOrigin(bad), bad).toBeNull();
    }
  });
});

describe("judgeHandshake", () => {
  it("accepts a client that sends no Origin (the SDK in Node), on loopback names", () => {
    for (const host of [
      "127.0.0.1:8000",
      "localhost:8000",
      "[::1]:8000",
      "127.0.0.2",
      "LOCALHOST.",
    ]) {
      expect(judgeHandshake({ host }, loopback), host).toEqual(accepted);
    }
  });

  it("accepts a same-origin page (the seed's Python client sends its own address as Origin)", () => {
    const cases: [string, string][] = [
      ["http://127.0.0.1:8000", "127.0.0.1:8000"],
      ["http://localhost:8000", "localhost:8000"],
      ["http://LOCALHOST:8000", "localhost:8000"],
      ["http://localhost.:8000", "localhost:8000"],
      ["http://[::1]:8000", "[::1]:8000"],
      ["http://localhost", "localhost"],
      ["http://localhost", "localhost:80"],
      ["http://localhost:80", "localhost"],
      ["https://localhost", "localhost:443"],
      // Behind a TLS proxy that keeps Host: the page's scheme is not the manager's own.
      ["https://localhost.:8443", "localhost:8443"],
      ["https://127.0.0.1:8000", "127.0.0.1:8000"],
    ];
    for (const [origin, host] of cases) {
      expect(judgeHandshake({ origin, host }, loopback), `${origin} -> ${host}`).toEqual(accepted);
    }
  });

  it("refuses another origin, saying which and how to allow it", () => {
    const decision = judgeHandshake(
      { origin: "http://evil.example", host: "127.0.0.1:8000" },
      loopback,
    );
    expect(decision).toEqual({
      ok: false,
      reason:
        'forbidden: Origin "http://evil.example" is not allowed; add it to FLOW_CORS_ORIGINS to let that page connect',
    });
  });

  it("treats another port or loopback spelling as another origin", () => {
    for (const origin of [
      "http://127.0.0.1:8001",
      "http://localhost:8000",
      "https://127.0.0.1",
      "http://127.0.0.1",
      "null",
      "http://127.0.0.1:8000/path",
      "http://127.0.0.1:8000.evil.example",
    ]) {
      const decision = judgeHandshake({ origin, host: "127.0.0.1:8000" }, loopback);
      expect(decision.ok, origin).toBe(false);
      expect(decision.ok ? "" : decision.reason, origin).toMatch(/^forbidden: Origin/);
    }
  });

  it("accepts the allowed origins however they are spelt, and only those", () => {
    for (const origin of [
      "http://localhost:3000",
      "HTTP://LOCALHOST:3000",
      "https://console.example.com:443",
    ]) {
      expect(judgeHandshake({ origin, host: "127.0.0.1:8000" }, withConsole), origin).toEqual(
        accepted,
      );
    }
    for (const origin of [
      "http://localhost:3001",
      "http://console.example.com",
      "https://evil.example",
    ]) {
      expect(judgeHandshake({ origin, host: "127.0.0.1:8000" }, withConsole).ok, origin).toBe(
        false,
      );
    }
  });

  it("on loopback refuses a non-loopback Host, however the page spells its origin (DNS rebinding)", () => {
    for (const [origin, host] of [
      ["http://rebind.evil.example:8000", "rebind.evil.example:8000"],
      [undefined, "rebind.evil.example:8000"],
      ["http://localhost:3000", "127.0.0.1.nip.io:8000"],
      [undefined, "localhost.evil.example"],
      [undefined, "192.168.1.20:8000"],
      [undefined, "[::]:8000"],
    ] as const) {
      const decision = judgeHandshake({ origin, host }, withConsole);
      expect(decision.ok, host).toBe(false);
      expect(decision.ok ? "" : decision.reason, host).toMatch(
        /^forbidden: Host ".*" is not a loopback name/,
      );
    }
  });

  it("refuses a missing or malformed Host", () => {
    expect(judgeHandshake({}, loopback)).toEqual({
      ok: false,
      reason: "forbidden: the request has no Host header",
    });
    expect(judgeHandshake({ host: "a@127.0.0.1" }, exposed)).toEqual({
      ok: false,
      reason: 'forbidden: Host "a@127.0.0.1" is not a valid host name',
    });
  });

  it("listening elsewhere accepts any Host, and still judges the Origin against it", () => {
    expect(judgeHandshake({ host: "flow.example.com" }, exposed)).toEqual(accepted);
    expect(
      judgeHandshake({ origin: "https://flow.example.com", host: "flow.example.com" }, exposed),
    ).toEqual(accepted);
    expect(
      judgeHandshake({ origin: "http://10.0.0.5:8000", host: "10.0.0.5:8000" }, exposed),
    ).toEqual(accepted);
    expect(
      judgeHandshake({ origin: "https://evil.example", host: "flow.example.com" }, exposed).ok,
    ).toBe(false);
  });

  it("keeps the reason short and quoted whatever the header holds", () => {
    const decision = judgeHandshake(
      { origin: `http://${"a".repeat(500)}.example`, host: "localhost" },
      loopback,
    );
    expect(decision.ok).toBe(false);
    expect(decision.ok ? 0 : decision.reason.length).toBeLessThan(250);
  });
});

describe("isAllowedOrigin (CORS headers for the polling transport)", () => {
  it("is true for the allowed origins only, however spelt", () => {
    expect(isAllowedOrigin("http://localhost:3000", withConsole)).toBe(true);
    expect(isAllowedOrigin("https://Console.Example.com", withConsole)).toBe(true);
    expect(isAllowedOrigin("http://localhost:3001", withConsole)).toBe(false);
    expect(isAllowedOrigin("null", withConsole)).toBe(false);
    expect(isAllowedOrigin("http://localhost:3000", loopback)).toBe(false);
  });
});
