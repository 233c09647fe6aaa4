import type { StreamChange } from "@dockflow/protocol";
import { waitFor } from "@dockflow/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { json, startEvent, webLabels } from "../src/testing/expect.ts";
import { ADMIN_TOKEN, startTestMaster, type TestMaster } from "../src/testing/harness.ts";
import { openStream, type StreamReader } from "../src/testing/sse.ts";

/** Every place that changes what operators see records it on the change stream. */
describe("the change stream follows a rule's and an agent's whole life", () => {
  let t: TestMaster;
  let stream: StreamReader;
  beforeAll(async () => {
    t = await startTestMaster({ database: "postgres", env: { GRACE_PERIOD_SECONDS: "60" } });
    stream = await openStream(t.url, { token: ADMIN_TOKEN });
    await waitFor(() => t.master.stream.size === 1);
  });
  afterAll(async () => {
    stream?.close();
    await t?.close();
  });

  const seen = (pick: (c: StreamChange) => string | undefined) =>
    stream.changes().flatMap((c) => {
      const value = pick(c);
      return value === undefined ? [] : [value];
    });

  it("records tunnel, connector, grace, expiry, reconcile failure and removal", async () => {
    const agent = await t.registerAgent({ node_info: { node_id: "life" } });
    const post = (body: unknown) =>
      t.api(`/agents/${agent.agentId}/events`, { method: "POST", token: agent.key, json: body });
    await json(await post(startEvent("life", webLabels("life.example.com"))));
    await t.master.reconciler.run();
    // The tunnel, once created in Cloudflare with the rule's ingress, is on the stream.
    await waitFor(() =>
      stream
        .changes()
        .some(
          (c) =>
            c.kind === "tunnel" &&
            c.action === "changed" &&
            c.tunnel.tunnel_id !== null &&
            c.tunnel.managed_rules.includes("life.example.com "),
        ),
    );

    const status = (s: string) => ({
      type: "tunnel_status",
      container: { name: "dockflare-agent-tunnel", status: s, version: "2025.9.0" },
    });
    await json(await post(status("running")));
    await json(await post(status("running"))); // the same state: no change
    await json(await post(status("exited")));
    await waitFor(
      () => seen((c) => (c.kind === "connector" ? c.connector_status : undefined)).length >= 2,
    );
    expect(
      seen((c) => (c.kind === "connector" ? `${c.agent_id} ${c.connector_status}` : undefined)),
    ).toEqual([`${agent.agentId} running`, `${agent.agentId} exited`]);

    await json(await post({ type: "container_stop", container: { name: "life", labels: {} } }));
    t.clock.advanceSeconds(61);
    await t.master.reconciler.run();
    await waitFor(() => seen((c) => (c.kind === "rule" ? c.action : undefined)).length >= 3);
    expect(
      seen((c) =>
        c.kind !== "rule"
          ? undefined
          : c.action === "removed"
            ? `removed ${c.hostname}`
            : `${c.action} ${c.rule.hostname} ${c.rule.state} ${c.rule.grace_until ?? "-"}`,
      ),
    ).toEqual([
      "created life.example.com active -",
      `grace life.example.com grace ${new Date(t.clock.now().getTime() - 1000).toISOString()}`,
      "removed life.example.com",
    ]);

    t.sandbox.failNext({ status: 500, count: 1_000_000 });
    await json(await post(startEvent("life2", webLabels("life2.example.com"))));
    const failed = await t.master.reconciler.run();
    expect(failed.errors.length).toBeGreaterThan(0);
    await waitFor(() => seen((c) => (c.kind === "reconcile" ? c.scope : undefined)).length > 0);
    const failure = stream.changes().find((c) => c.kind === "reconcile");
    expect(failure).toMatchObject({
      kind: "reconcile",
      action: "failed",
      scope: `tunnel:${agent.agentId}`,
      agent_id: agent.agentId,
    });
    expect(JSON.stringify(stream.changes())).not.toContain(t.sandbox.token);
  });

  it("records an agent's removal with its rules and keys", async () => {
    const agent = await t.registerAgent({ node_info: { node_id: "removed" } });
    await t.api(`/agents/${agent.agentId}/events`, {
      method: "POST",
      token: agent.key,
      json: startEvent("gone", webLabels("gone.example.com")),
    });
    await waitFor(() =>
      stream.changes().some((c) => c.kind === "event" && c.entry.agent_id === agent.agentId),
    );
    const mark = stream.changes().length;
    expect((await t.admin(`/agents/${agent.agentId}`, { method: "DELETE" })).status).toBe(204);
    await waitFor(() => stream.changes().some((c) => c.kind === "agent" && c.action === "removed"));
    const removal = stream
      .changes()
      .slice(mark)
      .filter((c) => c.kind !== "tunnel" && c.kind !== "reconcile")
      .map((c) =>
        c.kind === "rule" && c.action === "removed"
          ? `rule removed ${c.hostname}`
          : c.kind === "key"
            ? `key ${c.action} ${c.key.agent_id}`
            : c.kind === "agent" && c.action === "removed"
              ? `agent removed ${c.agent_id}`
              : `${c.kind} ${c.action}`,
      );
    expect(removal).toEqual([
      "rule removed gone.example.com",
      `key revoked ${agent.agentId}`,
      `agent removed ${agent.agentId}`,
    ]);
  });
});
