import { describe, expect, it } from "vitest";
import { CloudflareError } from "./errors.ts";
import { harness, recordsNamed, rejection } from "./test-harness.ts";

const T1 = "11111111-1111-4111-8111-111111111111";
const T2 = "22222222-2222-4222-8222-222222222222";

function setup() {
  const h = harness({ sandbox: { zones: ["example.com", "dev.example.com", "example.org"] } });
  const zoneId = (name: string) =>
    [...h.sandbox.state.zones.values()].find((zone) => zone.name === name)?.id ?? "";
  const dnsWrites = () =>
    h.sandbox.requests({ path: /\/dns_records/ }).filter((entry) => entry.method !== "GET");
  return { ...h, zoneId, dnsWrites };
}

describe("ensureDnsRecord", () => {
  it("creates a proxied CNAME to the tunnel in the longest matching zone", async () => {
    const { gateway, sandbox, zoneId } = setup();

    const deep = await gateway.ensureDnsRecord("app.dev.example.com", T1);
    const shallow = await gateway.ensureDnsRecord("www.example.com", T1);

    expect(deep.zone_id).toBe(zoneId("dev.example.com"));
    expect(shallow.zone_id).toBe(zoneId("example.com"));
    const [record] = recordsNamed(sandbox, "app.dev.example.com");
    expect(record).toMatchObject({
      id: deep.record_id,
      zone_id: zoneId("dev.example.com"),
      type: "CNAME",
      content: `${T1}.cfargotunnel.com`,
      proxied: true,
      ttl: 1,
    });
    expect(recordsNamed(sandbox, "www.example.com")[0]?.zone_id).toBe(zoneId("example.com"));
  });

  it("uses the zone named explicitly", async () => {
    const { gateway, sandbox, zoneId } = setup();
    const result = await gateway.ensureDnsRecord("app.dev.example.com", T1, "example.com");
    expect(result.zone_id).toBe(zoneId("example.com"));
    expect(recordsNamed(sandbox, "app.dev.example.com").map((r) => r.zone_id)).toEqual([
      zoneId("example.com"),
    ]);
  });

  it("fails clearly for a hostname outside the named zone or outside every zone", async () => {
    const { gateway, dnsWrites } = setup();
    const outside = await rejection(gateway.ensureDnsRecord("app.example.net", T1, "example.com"));
    expect(outside).toMatchObject({ kind: "zone_not_found" });
    expect((outside as Error).message).toContain('not inside zone "example.com"');
    const unknown = await rejection(gateway.ensureDnsRecord("app.example.net", T1));
    expect(unknown).toMatchObject({ kind: "zone_not_found" });
    expect((unknown as Error).message).toContain("app.example.net");
    expect(dnsWrites()).toEqual([]);
  });

  it("is idempotent", async () => {
    const { gateway, sandbox, dnsWrites } = setup();
    const first = await gateway.ensureDnsRecord("app.example.com", T1);
    const second = await gateway.ensureDnsRecord("APP.example.com.", T1);
    expect(second).toEqual(first);
    expect(recordsNamed(sandbox, "app.example.com")).toHaveLength(1);
    expect(dnsWrites().map((entry) => entry.method)).toEqual(["POST"]);
  });

  it("moves the record to another tunnel (rule migration)", async () => {
    const { gateway, sandbox, dnsWrites } = setup();
    const first = await gateway.ensureDnsRecord("app.example.com", T1);
    const moved = await gateway.ensureDnsRecord("app.example.com", T2);

    expect(moved).toEqual(first);
    expect(recordsNamed(sandbox, "app.example.com")).toMatchObject([
      { id: first.record_id, type: "CNAME", content: `${T2}.cfargotunnel.com`, proxied: true },
    ]);
    expect(dnsWrites().map((entry) => entry.method)).toEqual(["POST", "PUT"]);
  });

  it("refuses to overwrite an A record and leaves it untouched", async () => {
    const { gateway, sandbox, cf, zoneId, dnsWrites } = setup();
    await cf.dns.records.create({
      zone_id: zoneId("example.com"),
      type: "A",
      name: "app.example.com",
      content: "192.0.2.10",
      ttl: 300,
    });
    const before = structuredClone(recordsNamed(sandbox, "app.example.com"));
    const writesBefore = dnsWrites().length;

    const error = await rejection(gateway.ensureDnsRecord("app.example.com", T1));

    expect(error).toBeInstanceOf(CloudflareError);
    expect(error).toMatchObject({ kind: "dns_conflict", retryable: false });
    expect((error as Error).message).toMatch(
      /"app\.example\.com".*already has an A record \(192\.0\.2\.10\)/,
    );
    expect(recordsNamed(sandbox, "app.example.com")).toEqual(before);
    expect(dnsWrites()).toHaveLength(writesBefore);
  });

  it("refuses to overwrite a CNAME that does not point at a tunnel", async () => {
    const { gateway, sandbox, cf, zoneId } = setup();
    await cf.dns.records.create({
      zone_id: zoneId("example.com"),
      type: "CNAME",
      name: "app.example.com",
      content: "elsewhere.example.org",
      ttl: 1,
    });
    const error = await rejection(gateway.ensureDnsRecord("app.example.com", T1));
    expect(error).toMatchObject({ kind: "dns_conflict" });
    expect(recordsNamed(sandbox, "app.example.com")[0]?.content).toBe("elsewhere.example.org");
  });

  it("does not create a second record when the create answers 500", async () => {
    const { gateway, sandbox } = setup();
    sandbox.failNext({
      status: 500,
      match: (method, path) => method === "POST" && path.endsWith("/dns_records"),
    });
    const result = await gateway.ensureDnsRecord("app.example.com", T1);
    expect(recordsNamed(sandbox, "app.example.com").map((r) => r.id)).toEqual([result.record_id]);
  });
});

describe("removeDnsRecord", () => {
  it("deletes the record only while it points at the tunnel", async () => {
    const { gateway, sandbox, dnsWrites } = setup();
    await gateway.ensureDnsRecord("app.example.com", T1);
    await gateway.ensureDnsRecord("app.example.com", T2); // the rule moved to T2's agent

    await gateway.removeDnsRecord("app.example.com", T1);
    expect(recordsNamed(sandbox, "app.example.com")).toMatchObject([
      { content: `${T2}.cfargotunnel.com` },
    ]);
    expect(dnsWrites().filter((entry) => entry.method === "DELETE")).toEqual([]);

    await gateway.removeDnsRecord("app.example.com", T2);
    expect(recordsNamed(sandbox, "app.example.com")).toEqual([]);
    // Idempotent, including for a hostname no zone holds.
    await gateway.removeDnsRecord("app.example.com", T2);
    await gateway.removeDnsRecord("app.example.net", T2);
    expect(dnsWrites().filter((entry) => entry.method === "DELETE")).toHaveLength(1);
  });
});
