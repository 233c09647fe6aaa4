import { connect } from "node:net";
import type { StreamChange } from "@dockflow/protocol";
import { waitFor } from "@dockflow/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  latestChangeId,
  pruneChanges,
  readChangesAfter,
  recordChanges,
  streamChange,
} from "../db/repositories/changes.ts";
import { expectApiError, startEvent, webLabels } from "../testing/expect.ts";
import { ADMIN_TOKEN, DATABASES, startTestMaster, type TestMaster } from "../testing/harness.ts";
import { openStream, type StreamReader } from "../testing/sse.ts";

const BUFFER = 64 * 1024;

/** kind/action of each change, without the reconciler's tunnel changes (timing-dependent). */
const summary = (changes: StreamChange[]) =>
  changes.filter((c) => c.kind !== "tunnel").map((c) => `${c.kind}:${c.action}`);

describe.each(DATABASES)("GET /stream (%s)", (database) => {
  let t: TestMaster;
  const open: StreamReader[] = [];
  const stream = async (init: Parameters<typeof openStream>[1] = { token: ADMIN_TOKEN }) => {
    const reader = await openStream(t.url, init);
    open.push(reader);
    return reader;
  };
  beforeAll(async () => {
    t = await startTestMaster({
      database,
      env: { MASTER_STREAM_BUFFER_BYTES: String(BUFFER) },
    });
  });
  afterAll(async () => {
    for (const reader of open) reader.close();
    await t?.close();
  });

  it("streams each change once, in id order, with the row's public view", async () => {
    const reader = await stream();
    expect(reader.response.status).toBe(200);
    expect(reader.response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    await waitFor(() => t.master.stream.size > 0);
    const agent = await t.registerAgent({ display_name: "streamed", node_info: { node_id: "s1" } });
    await t.api(`/agents/${agent.agentId}/events`, {
      method: "POST",
      token: agent.key,
      json: startEvent("web", webLabels("stream.example.com")),
    });
    await waitFor(() => summary(reader.changes()).length >= 5);
    const changes = reader.changes().filter((c) => c.kind !== "tunnel");
    expect(summary(changes)).toEqual([
      "key:issued",
      "agent:registered",
      "key:bound",
      "rule:created",
      "event:logged",
    ]);
    const ids = reader.changes().map((c) => BigInt(c.id));
    expect(ids).toEqual([...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(new Set(ids).size).toBe(ids.length);
    const [, registered, bound, created, logged] = changes;
    expect(registered).toMatchObject({
      kind: "agent",
      agent: { agent_id: agent.agentId, display_name: "streamed", status: "online" },
    });
    expect(bound).toMatchObject({ key: { agent_id: agent.agentId, revoked_at: null } });
    expect(created).toMatchObject({
      rule: { hostname: "stream.example.com", state: "active", agent_id: agent.agentId },
    });
    expect(logged).toMatchObject({
      entry: { type: "container_start", agent_id: agent.agentId },
    });
    // The frame's id is the change's id.
    const frame = reader.frames.find((f) => f.event === "change");
    expect(frame?.id).toBe(reader.changes()[0]?.id);
  });

  it("resumes after Last-Event-ID with exactly the changes missed, in order", async () => {
    const keyName = (c: StreamChange) => (c.kind === "key" ? c.key.name : c.kind);
    const first = await stream();
    await waitFor(() => t.master.stream.size > 0);
    await t.admin("/keys", { method: "POST", json: { name: "before" } });
    const seen = await waitFor(() => first.changes().find((c) => keyName(c) === "before"));
    first.close();
    for (const name of ["missed-1", "missed-2", "missed-3"]) {
      await t.admin("/keys", { method: "POST", json: { name } });
    }
    // Exactly what was recorded after the last id seen (the reconciler may add tunnel changes).
    const missed = (await readChangesAfter(t.master.db, seen.id, 1000)).map(streamChange);
    expect(missed.filter((c) => c.kind === "key").map(keyName)).toEqual([
      "missed-1",
      "missed-2",
      "missed-3",
    ]);
    const resumed = await stream({ token: ADMIN_TOKEN, lastEventId: seen.id });
    expect(await resumed.waitForChanges(missed.length)).toEqual(missed);
    // Live changes follow the replay, without a gap or a repeat.
    await t.admin("/keys", { method: "POST", json: { name: "live" } });
    await waitFor(() => resumed.changes().some((c) => keyName(c) === "live"));
    const ids = resumed.changes().map((c) => BigInt(c.id));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id, i) => i === 0 || id > (ids[i - 1] ?? 0n))).toBe(true);
    expect(
      resumed
        .changes()
        .filter((c) => c.kind === "key")
        .map(keyName),
    ).toEqual(["missed-1", "missed-2", "missed-3", "live"]);
    expect(resumed.resets()).toEqual([]);
  });

  it("says reset when the changes after the id were pruned, or the id is unknown", async () => {
    await t.admin("/keys", { method: "POST", json: { name: "pruned" } });
    await pruneChanges(t.master.db, new Date(t.clock.now().getTime() + 1000));
    const old = await stream({ token: ADMIN_TOKEN, lastEventId: "1" });
    await waitFor(() => old.resets().length > 0);
    expect(old.resets()[0]?.message).toMatch(/no longer kept/);
    const unknown = await stream({ token: ADMIN_TOKEN, lastEventId: "999999999" });
    await waitFor(() => unknown.resets().length > 0);
    expect(unknown.resets()[0]?.message).toMatch(/unknown/);
    // The reset carries the id to follow from: the next change comes after it.
    await t.admin("/keys", { method: "POST", json: { name: "after-reset" } });
    const [next] = await unknown.waitForChanges(1);
    expect(next).toMatchObject({ kind: "key", key: { name: "after-reset" } });
    const resetId = unknown.frames.find((f) => f.event === "reset")?.id ?? "";
    expect(BigInt(next?.id ?? 0) > BigInt(resetId)).toBe(true);
  });

  it("cuts off a client that does not read, instead of buffering for it", async () => {
    for (const reader of open) reader.close();
    await waitFor(() => t.master.stream.size === 0, { message: "other clients gone" });
    const before = 0;
    const { hostname, port } = new URL(t.url);
    const socket = connect({ host: hostname, port: Number(port) });
    let received = 0;
    let closed = false;
    socket.on("data", (chunk: Buffer) => {
      received += chunk.length;
    });
    socket.on("close", () => {
      closed = true;
    });
    socket.write(
      `GET /api/v2/stream HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\n\r\n`,
    );
    await waitFor(() => received > 0, { message: "stream headers" });
    await waitFor(() => t.master.stream.size === before + 1);
    socket.pause(); // never read again
    // Each batch fits in the 64 KiB queue; all of them are far more than it and the socket
    // buffers hold.
    const message = "x".repeat(5 * 1024);
    let recorded = 0;
    for (let batch = 0; batch < 1000 && t.master.stream.size > before; batch++) {
      await recordChanges(
        t.master.db,
        t.clock.now(),
        Array.from({ length: 10 }, () => ({
          kind: "reconcile" as const,
          action: "failed" as const,
          scope: "pass",
          message,
          agent_id: null,
        })),
      );
      recorded += 10;
      // One batch at a time reaches the hub, so each fits in the queue of a client that reads.
      const latest = await latestChangeId(t.master.db);
      await waitFor(() => BigInt(t.master.stream.position) >= BigInt(latest));
    }
    await waitFor(() => t.master.stream.size === before, { message: "slow client cut off" });
    socket.resume();
    await waitFor(() => closed, { message: "connection closed by the server" });
    // Cut off long before the 1000 batches (50 MB): what it holds is bounded by the queue and the
    // socket buffers. (The reset connection loses what the client had not read yet.)
    expect(recorded).toBeLessThan(10_000);
    expect(received).toBeGreaterThan(0);
  });

  it("accepts the console's session cookie; refuses agents (403), anyone else (401) and bad ids (400)", async () => {
    const signIn = await t.api("/session", { method: "POST", json: { token: ADMIN_TOKEN } });
    const cookie = (signIn.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    const reader = await stream({ cookie });
    expect(reader.response.status).toBe(200);
    const agent = await t.registerAgent({ node_info: { node_id: "s-agent" } });
    await expectApiError(await t.api("/stream", { token: agent.key }), 403, "forbidden");
    await expectApiError(await t.api("/stream"), 401, "unauthorized");
    await expectApiError(
      await t.admin("/stream", { headers: { "last-event-id": "abc" } }),
      400,
      "validation_error",
    );
    await expectApiError(await t.admin("/stream?last_event_id=-1"), 400, "validation_error");
  });
});
