import { Counter } from "prom-client";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  bearerMatches,
  createRegistry,
  metricsEnv,
  metricsListenOptions,
  parseExposition,
  sampleValue,
  startMetricsServer,
} from "../src/index.ts";

describe("parseExposition", () => {
  it("reads names, labels (with escapes) and values, skipping comments", () => {
    const samples = parseExposition(
      [
        "# HELP x_total help",
        "# TYPE x_total counter",
        'x_total{op="a\\"b",status="200"} 3',
        "y 1.5e+2",
        "",
      ].join("\n"),
    );
    expect(samples).toEqual([
      { name: "x_total", labels: { op: 'a"b', status: "200" }, value: 3 },
      { name: "y", labels: {}, value: 150 },
    ]);
    expect(sampleValue(samples, "x_total", { status: "200" })).toBe(3);
    expect(sampleValue(samples, "missing")).toBeUndefined();
  });

  it("throws on a malformed line", () => {
    expect(() => parseExposition("not a sample line at all {")).toThrow(/malformed/);
  });
});

describe("bearerMatches", () => {
  it("accepts only the exact bearer header", () => {
    expect(bearerMatches("Bearer secret-token-0123456", "secret-token-0123456")).toBe(true);
    expect(bearerMatches("Bearer secret-token-0123457", "secret-token-0123456")).toBe(false);
    expect(bearerMatches("secret-token-0123456", "secret-token-0123456")).toBe(false);
    expect(bearerMatches(undefined, "secret-token-0123456")).toBe(false);
  });
});

describe("metricsEnv", () => {
  const schema = z.object(metricsEnv);
  it("has no listener by default, and binds loopback without a token when given a port", () => {
    expect(metricsListenOptions(schema.parse({}))).toBeUndefined();
    expect(metricsListenOptions(schema.parse({ METRICS_PORT: "9470" }))).toEqual({
      host: "127.0.0.1",
      port: 9470,
      token: undefined,
    });
  });
  it("refuses a short token and names the variable", () => {
    const result = schema.safeParse({ METRICS_TOKEN: "short" });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe("METRICS_TOKEN must be at least 16 characters");
  });
});

describe("startMetricsServer", () => {
  it("serves the registry, refuses a scrape without the token, 404 elsewhere", async () => {
    const registry = createRegistry();
    const counter = new Counter({ name: "t_things_total", help: "h", registers: [registry] });
    counter.inc(2);
    const token = "a-metrics-token-of-length";
    const server = await startMetricsServer(registry, { host: "127.0.0.1", port: 0, token });
    const url = server.url ?? "";
    try {
      expect((await fetch(url)).status).toBe(401);
      const wrong = await fetch(url, { headers: { authorization: "Bearer nope" } });
      expect(wrong.status).toBe(401);
      const ok = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      expect(ok.status).toBe(200);
      const samples = parseExposition(await ok.text());
      expect(sampleValue(samples, "t_things_total")).toBe(2);
      expect(sampleValue(samples, "process_cpu_user_seconds_total")).toBeGreaterThanOrEqual(0);
      const other = await fetch(url.replace("/metrics", "/other"), {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(other.status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
