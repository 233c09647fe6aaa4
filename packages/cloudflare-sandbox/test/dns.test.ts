import { BadRequestError, NotFoundError } from "cloudflare";
import { describe, expect, it } from "vitest";
import { apiFailure, codes, harness, raw } from "./helpers.ts";

async function withZone() {
  const h = harness({ zones: ["example.com", "other.org"] });
  const [zone] = (await h.cf.zones.list({ name: "example.com" })).result;
  return { ...h, zone_id: zone!.id };
}

describe("zones", () => {
  it("finds a zone by name", async () => {
    const { cf, account_id, sandbox } = harness({ zones: ["example.com", "other.org"] });
    const found = await cf.zones.list({ name: "example.com" });
    expect(found.result).toHaveLength(1);
    expect(found.result[0]).toMatchObject({
      name: "example.com",
      status: "active",
      account: { id: account_id },
    });
    expect(found.result[0]?.id).toMatch(/^[0-9a-f]{32}$/);
    expect((await cf.zones.list({ name: "missing.net" })).result).toEqual([]);
    expect((await cf.zones.list()).result.map((z) => z.name)).toEqual(["example.com", "other.org"]);
    const zoneId = found.result[0]!.id;
    expect((await cf.zones.get({ zone_id: zoneId })).name).toBe("example.com");
    expect(sandbox.addZone({ name: "example.com" }).id).toBe(zoneId);
  });

  it("auto-paginates zones", async () => {
    const { cf, sandbox } = harness({ zones: [] });
    for (let i = 0; i < 27; i++) sandbox.addZone({ name: `z${i}.example.net` });
    const names: string[] = [];
    for await (const zone of cf.zones.list({ per_page: 10 })) names.push(zone.name);
    expect(names).toHaveLength(27);
    const pages = sandbox.requests({ method: "GET", path: "/zones" }).map((r) => r.status);
    expect(pages).toEqual([200, 200, 200, 200]);
  });
});

describe("dns records", () => {
  it("creates, reads, updates, edits and deletes a tunnel CNAME", async () => {
    const { cf, zone_id, sandbox } = await withZone();
    const content = "6f2c0ab4-0000-4000-8000-000000000001.cfargotunnel.com";
    const created = await cf.dns.records.create({
      zone_id,
      type: "CNAME",
      name: "app.example.com",
      content,
      proxied: true,
      ttl: 1,
    });
    expect(created).toMatchObject({
      type: "CNAME",
      name: "app.example.com",
      content,
      proxied: true,
      proxiable: true,
      ttl: 1,
    });
    expect(created.id).toMatch(/^[0-9a-f]{32}$/);
    expect(await cf.dns.records.get(created.id, { zone_id })).toMatchObject({ id: created.id });

    const updated = await cf.dns.records.update(created.id, {
      zone_id,
      type: "CNAME",
      name: "app.example.com",
      content: "other.cfargotunnel.com",
      proxied: true,
      ttl: 1,
    });
    expect(updated.content).toBe("other.cfargotunnel.com");
    const edited = await cf.dns.records.edit(created.id, {
      zone_id,
      type: "CNAME",
      name: "app.example.com",
      proxied: false,
      ttl: 300,
    });
    expect(edited).toMatchObject({ proxied: false, ttl: 300, content: "other.cfargotunnel.com" });

    expect(await cf.dns.records.delete(created.id, { zone_id })).toEqual({ id: created.id });
    expect(sandbox.state.dnsRecords.size).toBe(0);
    const gone = await apiFailure(cf.dns.records.get(created.id, { zone_id }));
    expect(gone).toBeInstanceOf(NotFoundError);
    expect(codes(gone)).toEqual([81044]);
  });

  it("qualifies relative names and lower-cases them", async () => {
    const { cf, zone_id } = await withZone();
    const www = await cf.dns.records.create({
      zone_id,
      type: "A",
      name: "WWW",
      content: "192.0.2.1",
      ttl: 1,
    });
    expect(www.name).toBe("www.example.com");
    const apex = await cf.dns.records.create({
      zone_id,
      type: "TXT",
      name: "@",
      content: "v=spf1 -all",
      ttl: 1,
    });
    expect(apex.name).toBe("example.com");
  });

  it("filters by type, name, name.exact and content", async () => {
    const { cf, zone_id, sandbox } = await withZone();
    const mk = (type: "A" | "CNAME" | "TXT", name: string, content: string) =>
      cf.dns.records.create({ zone_id, type, name, content, ttl: 1 });
    await mk("CNAME", "a.example.com", "t1.cfargotunnel.com");
    await mk("CNAME", "b.example.com", "t2.cfargotunnel.com");
    await mk("A", "c.example.com", "192.0.2.10");
    await mk("TXT", "a.example.com", "owner=dockflow");

    const names = async (query: Parameters<typeof cf.dns.records.list>[0]) =>
      (await cf.dns.records.list(query)).result.map((r) => `${r.type} ${r.name}`);
    expect(await names({ zone_id, type: "CNAME" })).toEqual([
      "CNAME a.example.com",
      "CNAME b.example.com",
    ]);
    expect(await names({ zone_id, name: { exact: "a.example.com" } })).toEqual([
      "CNAME a.example.com",
      "TXT a.example.com",
    ]);
    expect(await names({ zone_id, type: "CNAME", name: { exact: "a.example.com" } })).toEqual([
      "CNAME a.example.com",
    ]);
    expect(await names({ zone_id, content: { exact: "t2.cfargotunnel.com" } })).toEqual([
      "CNAME b.example.com",
    ]);
    expect(await names({ zone_id, name: { endswith: "c.example.com" } })).toEqual([
      "A c.example.com",
    ]);
    expect(
      await names({ zone_id, type: "A", name: { exact: "a.example.com" }, match: "any" }),
    ).toEqual(["CNAME a.example.com", "A c.example.com", "TXT a.example.com"]);
    // The plain `name` / `content` parameters (as older clients send them) filter exactly too.
    const plain = await raw(
      sandbox,
      "GET",
      `/zones/${zone_id}/dns_records?name=b.example.com&type=CNAME`,
    );
    expect((plain.json.result as unknown[]).length).toBe(1);
    const byContent = await raw(sandbox, "GET", `/zones/${zone_id}/dns_records?content=192.0.2.10`);
    expect(byContent.json.result_info).toMatchObject({ count: 1, total_count: 1 });
  });

  it("rejects a CNAME beside an A/AAAA/CNAME (81053) and identical records (81057)", async () => {
    const { cf, zone_id } = await withZone();
    await cf.dns.records.create({
      zone_id,
      type: "A",
      name: "host.example.com",
      content: "192.0.2.1",
      ttl: 1,
    });
    const cnameOnA = await apiFailure(
      cf.dns.records.create({
        zone_id,
        type: "CNAME",
        name: "host.example.com",
        content: "x.example.net",
        ttl: 1,
      }),
    );
    expect(cnameOnA).toBeInstanceOf(BadRequestError);
    expect(codes(cnameOnA)).toEqual([81053]);

    const tunnel = await cf.dns.records.create({
      zone_id,
      type: "CNAME",
      name: "t.example.com",
      content: "a.cfargotunnel.com",
      proxied: true,
      ttl: 1,
    });
    const secondCname = await apiFailure(
      cf.dns.records.create({
        zone_id,
        type: "CNAME",
        name: "t.example.com",
        content: "b.cfargotunnel.com",
        ttl: 1,
      }),
    );
    expect(codes(secondCname)).toEqual([81053]);
    const aOnCname = await apiFailure(
      cf.dns.records.create({
        zone_id,
        type: "AAAA",
        name: "t.example.com",
        content: "2001:db8::1",
        ttl: 1,
      }),
    );
    expect(codes(aOnCname)).toEqual([81054]);

    const identical = await apiFailure(
      cf.dns.records.create({
        zone_id,
        type: "A",
        name: "host.example.com",
        content: "192.0.2.1",
        ttl: 1,
      }),
    );
    expect(codes(identical)).toEqual([81057]);
    // A second, different A record on the same name is fine.
    await cf.dns.records.create({
      zone_id,
      type: "A",
      name: "host.example.com",
      content: "192.0.2.2",
      ttl: 1,
    });

    // Updating a record onto a conflicting name is refused as well, but updating it in place is not.
    const moved = await apiFailure(
      cf.dns.records.update(tunnel.id, {
        zone_id,
        type: "CNAME",
        name: "host.example.com",
        content: "a.cfargotunnel.com",
        ttl: 1,
      }),
    );
    expect(codes(moved)).toEqual([81053]);
    await cf.dns.records.update(tunnel.id, {
      zone_id,
      type: "CNAME",
      name: "t.example.com",
      content: "c.cfargotunnel.com",
      proxied: true,
      ttl: 1,
    });
  });

  it("validates record bodies", async () => {
    const { cf, zone_id, sandbox } = await withZone();
    const badA = await apiFailure(
      cf.dns.records.create({
        zone_id,
        type: "A",
        name: "x.example.com",
        content: "not-an-ip",
        ttl: 1,
      }),
    );
    expect(badA.status).toBe(400);
    expect(codes(badA)).toEqual([9005]);
    const proxiedTxt = await apiFailure(
      cf.dns.records.create({
        zone_id,
        type: "TXT",
        name: "x.example.com",
        content: "hi",
        proxied: true,
        ttl: 1,
      }),
    );
    expect(codes(proxiedTxt)).toEqual([9004]);
    const badTtl = await apiFailure(
      cf.dns.records.create({
        zone_id,
        type: "A",
        name: "x.example.com",
        content: "192.0.2.1",
        ttl: 5,
      }),
    );
    expect(codes(badTtl)).toEqual([9021]);
    const noType = await raw(sandbox, "POST", `/zones/${zone_id}/dns_records`, {
      body: JSON.stringify({ name: "x", content: "y" }),
    });
    expect(noType.status).toBe(400);
    expect(noType.json).toMatchObject({ success: false, errors: [{ code: 9207 }], result: null });
    expect(sandbox.state.dnsRecords.size).toBe(0);
  });

  it("auto-paginates records and stops at the empty page", async () => {
    const { cf, zone_id, sandbox } = await withZone();
    for (let i = 0; i < 23; i++) {
      await cf.dns.records.create({
        zone_id,
        type: "A",
        name: `h${i}`,
        content: "192.0.2.1",
        ttl: 1,
      });
    }
    const seen: string[] = [];
    for await (const record of cf.dns.records.list({ zone_id, per_page: 10 }))
      seen.push(record.name);
    expect(new Set(seen).size).toBe(23);
    const lists = sandbox.requests({ method: "GET", path: `/zones/${zone_id}/dns_records` });
    expect(lists.map((r) => new URLSearchParams(r.query).get("page") ?? "1")).toEqual([
      "1",
      "2",
      "3",
      "4",
    ]);
  });

  it("answers 400/7003 for a malformed zone identifier", async () => {
    const { sandbox } = await withZone();
    const response = await raw(sandbox, "GET", "/zones/example.com/dns_records");
    expect(response.status).toBe(400);
    expect(response.json.errors).toEqual([
      { code: 7003, message: expect.stringContaining("/zones/example.com/dns_records") },
      { code: 7000, message: "No route for that URI" },
    ]);
  });
});
