import { ConflictError, NotFoundError } from "cloudflare";
import { describe, expect, it } from "vitest";
import { apiFailure, codes, harness } from "./helpers.ts";

describe("tunnels", () => {
  it("creates, gets, lists and soft-deletes a tunnel", async () => {
    const { cf, account_id, sandbox } = harness();
    const tunnels = cf.zeroTrust.tunnels.cloudflared;
    const created = await tunnels.create({ account_id, name: "edge-1", config_src: "cloudflare" });
    expect(created).toMatchObject({
      account_tag: account_id,
      name: "edge-1",
      deleted_at: null,
      status: "inactive",
      tun_type: "cfd_tunnel",
      conns_active_at: null,
      conns_inactive_at: null,
      config_src: "cloudflare",
    });
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(typeof created.created_at).toBe("string");
    const id = created.id!;

    expect(await tunnels.get(id, { account_id })).toMatchObject({ id, name: "edge-1" });
    const listed = await tunnels.list({ account_id });
    expect(listed.result.map((t) => t.id)).toEqual([id]);

    const deleted = await tunnels.delete(id, { account_id });
    expect(deleted.id).toBe(id);
    expect(deleted.deleted_at).toEqual(expect.any(String));
    expect(sandbox.state.tunnels.get(id)?.deleted_at).toBe(deleted.deleted_at);

    // Soft delete: still there unless is_deleted=false.
    const all = await tunnels.list({ account_id });
    expect(all.result.map((t) => [t.id, t.deleted_at !== null])).toEqual([[id, true]]);
    expect((await tunnels.list({ account_id, is_deleted: false })).result).toEqual([]);
    expect((await tunnels.list({ account_id, is_deleted: true })).result.map((t) => t.id)).toEqual([
      id,
    ]);
    expect((await tunnels.get(id, { account_id })).deleted_at).toBe(deleted.deleted_at);
    // A deleted tunnel cannot be deleted or changed again.
    const again = await apiFailure(tunnels.delete(id, { account_id }));
    expect(again).toBeInstanceOf(NotFoundError);
  });

  it("filters the list by name, uuid, status and prefix", async () => {
    const { cf, account_id, sandbox } = harness();
    const tunnels = cf.zeroTrust.tunnels.cloudflared;
    const a = await tunnels.create({ account_id, name: "prod-a" });
    const b = await tunnels.create({ account_id, name: "prod-b" });
    await tunnels.create({ account_id, name: "dev-c" });
    sandbox.setConnections(b.id!, 1);

    const names = async (query: Record<string, unknown>) =>
      (await tunnels.list({ account_id, ...query })).result.map((t) => t.name);
    expect(await names({ name: "prod-a" })).toEqual(["prod-a"]);
    expect(await names({ uuid: b.id })).toEqual(["prod-b"]);
    expect(await names({ status: "healthy" })).toEqual(["prod-b"]);
    expect(await names({ status: "inactive" })).toEqual(["prod-a", "dev-c"]);
    expect(await names({ include_prefix: "prod-" })).toEqual(["prod-a", "prod-b"]);
    expect(await names({ exclude_prefix: "prod-" })).toEqual(["dev-c"]);
    expect(await names({ name: "nope" })).toEqual([]);
    expect(a.id).not.toBe(b.id);
  });

  it("rejects a taken name with 409/1013 among non-deleted tunnels only", async () => {
    const { cf, account_id, sandbox } = harness();
    const tunnels = cf.zeroTrust.tunnels.cloudflared;
    const first = await tunnels.create({ account_id, name: "dup" });
    const error = await apiFailure(tunnels.create({ account_id, name: "dup" }));
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.status).toBe(409);
    expect(codes(error)).toEqual([1013]);

    // Renaming onto a taken name conflicts too.
    const other = await tunnels.create({ account_id, name: "other" });
    const rename = await apiFailure(tunnels.edit(other.id!, { account_id, name: "dup" }));
    expect(codes(rename)).toEqual([1013]);
    expect((await tunnels.edit(other.id!, { account_id, name: "renamed" })).name).toBe("renamed");

    // Once the first is deleted, the name is free again.
    await tunnels.delete(first.id!, { account_id });
    const reused = await tunnels.create({ account_id, name: "dup" });
    expect(reused.id).not.toBe(first.id);
    const live = [...sandbox.state.tunnels.values()].filter(
      (t) => t.name === "dup" && t.deleted_at === null,
    );
    expect(live.map((t) => t.id)).toEqual([reused.id]);
  });

  it("is hit three times by the SDK's default retries on a name conflict", async () => {
    const { client, account_id, sandbox } = harness();
    const cf = client({ maxRetries: undefined }); // the SDK default: 2 retries, 409 included
    const path = `/accounts/${account_id}/cfd_tunnel`;
    await cf.zeroTrust.tunnels.cloudflared.create({ account_id, name: "dup" });
    const error = await apiFailure(
      cf.zeroTrust.tunnels.cloudflared.create({ account_id, name: "dup" }),
    );
    expect(codes(error)).toEqual([1013]);
    const creates = sandbox.requests({ method: "POST", path });
    expect(creates.map((r) => r.status)).toEqual([200, 409, 409, 409]);
    const named = [...sandbox.state.tunnels.values()].filter((t) => t.name === "dup");
    expect(named).toHaveLength(1);
  });

  it("returns the connector token: base64 of {a, t, s}", async () => {
    const { cf, account_id } = harness();
    const tunnels = cf.zeroTrust.tunnels.cloudflared;
    const created = await tunnels.create({ account_id, name: "tok", config_src: "cloudflare" });
    const token = await tunnels.token.get(created.id!, { account_id });
    expect(typeof token).toBe("string");
    const decoded = JSON.parse(Buffer.from(token, "base64").toString("utf8"));
    expect(Object.keys(decoded).sort()).toEqual(["a", "s", "t"]);
    expect(decoded.a).toBe(account_id);
    expect(decoded.t).toBe(created.id);
    expect(Buffer.from(decoded.s, "base64")).toHaveLength(32);
    // The raw create response carries the same token (the SDK type omits it).
    expect((created as { token?: string }).token).toBe(token);

    const secret = Buffer.alloc(40, 7).toString("base64");
    const own = await tunnels.create({ account_id, name: "own-secret", tunnel_secret: secret });
    const ownToken = await tunnels.token.get(own.id!, { account_id });
    expect(JSON.parse(Buffer.from(ownToken, "base64").toString("utf8")).s).toBe(secret);

    const tooShort = await apiFailure(
      tunnels.create({ account_id, name: "short", tunnel_secret: "c2hvcnQ=" }),
    );
    expect(tooShort.status).toBe(400);
  });

  it("validates the create body with a Cloudflare envelope", async () => {
    const { cf, account_id } = harness();
    const error = await apiFailure(
      cf.zeroTrust.tunnels.cloudflared.create({ account_id, name: "" }),
    );
    expect(error.status).toBe(400);
    expect(error.error).toMatchObject({ success: false, messages: [], result: null });
    expect(codes(error)).toEqual([1001]);
  });

  it("404s an unknown tunnel", async () => {
    const { cf, account_id } = harness();
    const error = await apiFailure(
      cf.zeroTrust.tunnels.cloudflared.get("00000000-0000-4000-8000-000000000000", { account_id }),
    );
    expect(error).toBeInstanceOf(NotFoundError);
    expect(codes(error)).toEqual([1003]);
  });

  it("auto-paginates over more than per_page tunnels and stops at the empty page", async () => {
    const { cf, account_id, sandbox } = harness();
    for (let i = 0; i < 45; i++) {
      await cf.zeroTrust.tunnels.cloudflared.create({ account_id, name: `t-${i}` });
    }
    const seen: string[] = [];
    for await (const tunnel of cf.zeroTrust.tunnels.cloudflared.list({
      account_id,
      per_page: 20,
    })) {
      seen.push(tunnel.name!);
    }
    expect(seen).toHaveLength(45);
    expect(new Set(seen).size).toBe(45);
    const pages = sandbox
      .requests({ method: "GET", path: `/accounts/${account_id}/cfd_tunnel` })
      .map((r) => new URLSearchParams(r.query).get("page") ?? "1");
    expect(pages).toEqual(["1", "2", "3", "4"]);

    const first = await cf.zeroTrust.tunnels.cloudflared.list({ account_id, per_page: 20 });
    expect(first.result_info).toEqual({
      page: 1,
      per_page: 20,
      count: 20,
      total_count: 45,
      total_pages: 3,
    });
    const past = await cf.zeroTrust.tunnels.cloudflared.list({ account_id, per_page: 20, page: 9 });
    expect(past.result).toEqual([]);
    expect(past.result_info).toMatchObject({ page: 9, count: 0, total_count: 45 });
  });
});

describe("connections", () => {
  it("derives the status from connectors and refuses to delete a connected tunnel (1022)", async () => {
    const { cf, account_id, sandbox } = harness();
    const tunnels = cf.zeroTrust.tunnels.cloudflared;
    const { id } = await tunnels.create({ account_id, name: "conn", config_src: "cloudflare" });
    const tunnelId = id!;
    expect((await tunnels.get(tunnelId, { account_id })).status).toBe("inactive");
    expect((await tunnels.connections.get(tunnelId, { account_id })).result).toEqual([]);

    const connectors = sandbox.setConnections(tunnelId, 2);
    const healthy = await tunnels.get(tunnelId, { account_id });
    expect(healthy.status).toBe("healthy");
    expect(healthy.conns_active_at).toEqual(expect.any(String));
    expect(healthy.conns_inactive_at).toBeNull();

    const listed = (await tunnels.connections.get(tunnelId, { account_id })).result;
    expect(listed.map((c) => c.id)).toEqual(connectors.map((c) => c.id));
    expect(listed[0]?.conns).toHaveLength(4);
    expect(listed[0]?.conns?.[0]).toMatchObject({
      client_id: listed[0]?.id,
      colo_name: expect.any(String),
      opened_at: expect.any(String),
      origin_ip: expect.any(String),
    });

    const refused = await apiFailure(tunnels.delete(tunnelId, { account_id }));
    expect(refused.status).toBe(400);
    expect(codes(refused)).toEqual([1022]);
    expect(sandbox.state.tunnels.get(tunnelId)?.deleted_at).toBeNull();

    // Removing one connector keeps the tunnel healthy; removing all makes it down.
    await tunnels.connections.delete(tunnelId, { account_id, client_id: connectors[0]!.id });
    expect((await tunnels.connections.get(tunnelId, { account_id })).result).toHaveLength(1);
    expect((await tunnels.get(tunnelId, { account_id })).status).toBe("healthy");
    await tunnels.connections.delete(tunnelId, { account_id });
    const down = await tunnels.get(tunnelId, { account_id });
    expect(down.status).toBe("down");
    expect(down.conns_inactive_at).toEqual(expect.any(String));

    expect((await tunnels.delete(tunnelId, { account_id })).deleted_at).toEqual(expect.any(String));
  });

  it("reports the configuration version the connectors run", async () => {
    const { cf, account_id, sandbox } = harness();
    const tunnels = cf.zeroTrust.tunnels.cloudflared;
    const { id } = await tunnels.create({ account_id, name: "cv", config_src: "cloudflare" });
    const tunnelId = id!;
    sandbox.setConnections(tunnelId, [{ arch: "linux_arm64", version: "2025.4.0", conns: 1 }]);
    await tunnels.configurations.update(tunnelId, {
      account_id,
      config: { ingress: [{ hostname: "", service: "http_status:404" }] },
    });
    const [connector] = (await tunnels.connections.get(tunnelId, { account_id })).result;
    expect(connector).toMatchObject({
      arch: "linux_arm64",
      version: "2025.4.0",
      config_version: 1,
    });
    expect(connector?.conns).toHaveLength(1);
  });
});
