import { describe, expect, it } from "vitest";
import { CloudflareError } from "./errors.ts";
import { type FetchLike, harness, liveTunnels, rejection } from "./test-harness.ts";

const tunnelsPath = (accountId: string) => `/accounts/${accountId}/cfd_tunnel`;

describe("ensureTunnel", () => {
  it("creates a remotely managed tunnel once and finds it afterwards", async () => {
    const { gateway, sandbox } = harness();
    const first = await gateway.ensureTunnel("dockflow-agent-1");
    const second = await gateway.ensureTunnel("dockflow-agent-1");

    expect(second).toEqual(first);
    expect(first.name).toBe("dockflow-agent-1");
    const live = liveTunnels(sandbox, "dockflow-agent-1");
    expect(live.map((tunnel) => tunnel.id)).toEqual([first.id]);
    expect(live[0]?.config_src).toBe("cloudflare");
    expect(sandbox.requests({ method: "POST", path: tunnelsPath(sandbox.accountId) })).toHaveLength(
      1,
    );
  });

  it("ignores a deleted tunnel of the same name", async () => {
    const { gateway, sandbox } = harness();
    const old = await gateway.ensureTunnel("edge");
    await gateway.deleteTunnel(old.id);
    const fresh = await gateway.ensureTunnel("edge");

    expect(fresh.id).not.toBe(old.id);
    expect(liveTunnels(sandbox, "edge").map((tunnel) => tunnel.id)).toEqual([fresh.id]);
  });

  it("does not create a duplicate when the create answers 500 (create sent again after a lookup)", async () => {
    const { gateway, sandbox } = harness();
    const path = tunnelsPath(sandbox.accountId);
    sandbox.failNext({ status: 500, match: (method, p) => method === "POST" && p === path });

    const tunnel = await gateway.ensureTunnel("edge");

    expect(liveTunnels(sandbox, "edge").map((t) => t.id)).toEqual([tunnel.id]);
    // lookup, create (500), lookup (nothing), create.
    expect(sandbox.requests({ path }).map((entry) => `${entry.method} ${entry.status}`)).toEqual([
      "GET 200",
      "POST 500",
      "GET 200",
      "POST 200",
    ]);
  });

  it("does not create a duplicate when an injected 409 answers the create", async () => {
    const { gateway, sandbox } = harness();
    const path = tunnelsPath(sandbox.accountId);
    sandbox.failNext({
      status: 409,
      code: 1013,
      message: "You already have a tunnel with this name",
      match: (method, p) => method === "POST" && p === path,
    });

    const tunnel = await gateway.ensureTunnel("edge");

    expect(liveTunnels(sandbox, "edge").map((t) => t.id)).toEqual([tunnel.id]);
    expect(sandbox.requests({ method: "POST", path }).map((entry) => entry.status)).toEqual([
      409, 200,
    ]);
  });

  it("returns the tunnel a concurrent creator made (real 409) without creating again", async () => {
    const { sandbox, makeGateway, cf, accountId } = harness();
    const path = tunnelsPath(accountId);
    let otherId: string | undefined;
    // Another master replica creates the same tunnel between our lookup and our create.
    const racing: FetchLike = async (input, init) => {
      if (init?.method === "POST" && otherId === undefined) {
        const other = await cf.zeroTrust.tunnels.cloudflared.create({
          account_id: accountId,
          name: "edge",
          config_src: "cloudflare",
        });
        otherId = other.id;
      }
      return sandbox.fetch(input, init);
    };
    const gateway = makeGateway({ fetch: racing as typeof fetch });

    const tunnel = await gateway.ensureTunnel("edge");

    expect(tunnel.id).toBe(otherId);
    expect(liveTunnels(sandbox, "edge").map((t) => t.id)).toEqual([otherId]);
    // The other replica's create (200), ours (409, never resent).
    expect(sandbox.requests({ method: "POST", path }).map((entry) => entry.status)).toEqual([
      200, 409,
    ]);
  });

  it("finds the tunnel when the create took effect but its answer was lost", async () => {
    const { sandbox, makeGateway, accountId } = harness();
    let lost = false;
    const flaky: FetchLike = async (input, init) => {
      const response = await sandbox.fetch(input, init);
      if (init?.method === "POST" && !lost) {
        lost = true;
        throw new TypeError("fetch failed: socket hang up");
      }
      return response;
    };
    const gateway = makeGateway({ fetch: flaky as typeof fetch });

    const tunnel = await gateway.ensureTunnel("edge");

    expect(liveTunnels(sandbox, "edge").map((t) => t.id)).toEqual([tunnel.id]);
    expect(sandbox.requests({ method: "POST", path: tunnelsPath(accountId) })).toHaveLength(1);
  });

  it("reports a permission problem as a non-retryable CloudflareError without the token", async () => {
    const { makeGateway, logs } = harness();
    const secret = "not-a-valid-token-5f1c9a";
    const gateway = makeGateway({ apiToken: secret });

    const error = await rejection(gateway.ensureTunnel("edge"));

    expect(error).toBeInstanceOf(CloudflareError);
    const failure = error as CloudflareError;
    expect(failure).toMatchObject({ kind: "api", status: 403, code: 10000, retryable: false });
    expect(failure.message).not.toContain(secret);
    expect(logs.join("\n")).not.toContain(secret);
  });
});

describe("getTunnelToken", () => {
  it("returns the connector token and never logs it", async () => {
    const { gateway, sandbox, logs } = harness();
    const tunnel = await gateway.ensureTunnel("edge");

    const token = await gateway.getTunnelToken(tunnel.id);

    const decoded = JSON.parse(Buffer.from(token, "base64").toString("utf8")) as Record<
      string,
      string
    >;
    expect(decoded).toMatchObject({ a: sandbox.accountId, t: tunnel.id });
    expect(decoded.s).toEqual(expect.any(String));
    const text = logs.join("\n");
    expect(logs.length).toBeGreaterThan(0);
    expect(text).toContain(tunnel.id);
    expect(text).not.toContain(token);
    expect(text).not.toContain(sandbox.token);
  });

  it("fails with 404 for an unknown tunnel", async () => {
    const { gateway } = harness();
    const error = await rejection(gateway.getTunnelToken("6f0c3f5e-0000-4000-8000-000000000000"));
    expect(error).toMatchObject({ kind: "api", status: 404, retryable: false });
  });
});

describe("deleteTunnel", () => {
  it("clears live connections, deletes, and is idempotent", async () => {
    const { gateway, sandbox } = harness();
    const tunnel = await gateway.ensureTunnel("edge");
    sandbox.setConnections(tunnel.id, 2);

    const path = `${tunnelsPath(sandbox.accountId)}/${tunnel.id}`;
    const deletes = () =>
      sandbox
        .requests({ method: "DELETE", path: new RegExp(`^${path}`) })
        .map((entry) => `${entry.path.slice(path.length) || "/"} ${entry.status}`);

    await gateway.deleteTunnel(tunnel.id);
    expect(deletes()).toEqual(["/connections 200", "/ 200"]);
    expect(sandbox.state.tunnels.get(tunnel.id)?.deleted_at).toEqual(expect.any(String));

    // Deleting again succeeds: Cloudflare answers 404 for the deleted tunnel, nothing changes.
    await gateway.deleteTunnel(tunnel.id);
    const again = deletes().slice(2);
    expect(again.length).toBeGreaterThan(0);
    expect(again.every((entry) => entry.endsWith(" 404"))).toBe(true);
  });
});
