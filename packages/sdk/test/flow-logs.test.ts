import { printAsMainProcess, removeLabelled, waitFor } from "@dockflow/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { printLogs } from "../examples/logs.ts";
import { LogBatchBuffer } from "../src/flow/logs.ts";
import {
  type ContainerLog,
  createFlowClient,
  type FlowClient,
  FlowConnectionError,
  FlowError,
  type LogLine,
} from "../src/index.ts";
import {
  docker,
  startTestFlowManager,
  type TestFlowManager,
  uniqueName,
} from "./support/flow-manager.ts";

const out = (text: string): LogLine => ({ stream: "stdout", text });
const batch = (texts: string[], extra: Partial<ContainerLog> = {}): ContainerLog => ({
  container_id: "c",
  lines: texts.map(out),
  ...extra,
});

describe("LogBatchBuffer", () => {
  it("keeps batches in order while under its line bound", () => {
    const buffer = new LogBatchBuffer(10);
    buffer.push(batch(["a", "b"]));
    buffer.push(batch(["c"], { dropped: 4 }));
    expect(buffer.shift()).toEqual(batch(["a", "b"]));
    expect(buffer.shift()).toEqual(batch(["c"], { dropped: 4 }));
    expect(buffer.shift()).toBeUndefined();
  });

  it("drops the oldest batches past its bound and counts their lines in the next one", () => {
    const buffer = new LogBatchBuffer(3);
    buffer.push(batch(["a", "b"], { dropped: 1 }));
    buffer.push(batch(["c", "d"]));
    buffer.push(batch(["e"], { ended: true }));
    // a, b went (and the 1 dropped before them); c, d, e fit.
    expect(buffer.length).toBe(2);
    expect(buffer.shift()).toEqual(batch(["c", "d"], { dropped: 3 }));
    expect(buffer.shift()).toEqual(batch(["e"], { ended: true }));
  });

  it("never drops the newest batch, however large", () => {
    const buffer = new LogBatchBuffer(1);
    buffer.push(batch(["a"]));
    buffer.push(batch(["b", "c", "d"]));
    expect(buffer.length).toBe(1);
    expect(buffer.shift()).toEqual(batch(["b", "c", "d"], { dropped: 1 }));
  });
});

describe("container logs through the SDK, against a real flow manager", () => {
  let fm: TestFlowManager;
  let flow: FlowClient;

  async function busybox(tag: string, script: string): Promise<string> {
    const created = await flow.createContainer({
      image: "dockflow-base/busybox:local",
      name: uniqueName(tag),
      command: ["sh", "-c", script],
    });
    await flow.startContainer({ container_id: created.container_id });
    return created.container_id;
  }

  beforeAll(async () => {
    fm = await startTestFlowManager();
    flow = createFlowClient(fm.url, { token: fm.token });
    await flow.ready();
  });

  afterAll(async () => {
    flow?.close();
    await fm?.close();
    await removeLabelled(docker);
  });

  it("getLogs: a container's lines, the tail, with timestamps", async () => {
    const id = await busybox("get", "echo one; sleep 0.2; echo two >&2; exec sleep 3600");
    await waitFor(async () => (await flow.getLogs(id)).length === 2, { message: "two lines" });
    expect(await flow.getLogs(id)).toEqual([out("one"), { stream: "stderr", text: "two" }]);
    expect(await flow.getLogs(id, { tail: 1 })).toEqual([{ stream: "stderr", text: "two" }]);
    const [first] = await flow.getLogs(id, { timestamps: true });
    expect(first?.time).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/);
    await expect(flow.getLogs("no-such-container")).rejects.toMatchObject({
      error_type: "container_not_found",
      details: { operation: "get_container_logs" },
    });
  });

  it("logs: iterates batches from the tail on, and ends when the container is removed", async () => {
    const name = uniqueName("follow");
    const created = await flow.createContainer({
      image: "dockflow-base/busybox:local",
      name,
      command: ["sh", "-c", "echo hello; exec sleep 3600"],
    });
    const id = created.container_id;
    await flow.startContainer({ container_id: id });
    await waitFor(async () => (await flow.getLogs(id)).length === 1, { message: "hello" });

    const seen: string[] = [];
    const batches: ContainerLog[] = [];
    // By name: the pushes name the full id, which the SDK learns from the reply.
    for await (const b of flow.logs(name, { tail: 1 })) {
      batches.push(b);
      const texts = b.lines.map((l) => l.text);
      seen.push(...texts);
      if (texts.includes("hello")) await printAsMainProcess(docker, id, "world");
      if (texts.includes("world")) await flow.deleteContainer({ container_id: id, force: true });
    }
    expect(seen).toEqual(["hello", "world"]);
    expect(batches.at(-1)?.ended).toBe(true);
    expect(batches.every((b) => b.container_id === id && !b.dropped)).toBe(true);
  });

  it("logs: leaving the loop unsubscribes (the same client can follow again)", async () => {
    const id = await busybox("break", "echo first; exec sleep 3600");
    await waitFor(async () => (await flow.getLogs(id)).length === 1, { message: "first" });
    for await (const b of flow.logs(id, { tail: 1 })) {
      expect(b.lines).toEqual([expect.objectContaining(out("first"))]);
      break;
    }
    // A second subscription of the same client is refused while the first is on.
    const again = flow.logs(id, { tail: 1 });
    const next = await again.next();
    expect(next.value?.lines).toEqual([expect.objectContaining(out("first"))]);
    const refused = flow.logs(id);
    await expect(refused.next()).rejects.toMatchObject({ error_type: "validation_error" });
    await again.close();
    expect(await again.next()).toEqual({ value: undefined, done: true });
  });

  it("logs: fails with the subscription's FlowError, or FlowConnectionError when the connection drops", async () => {
    await expect(flow.logs("no-such-container").next()).rejects.toBeInstanceOf(FlowError);

    const id = await busybox("drop", "echo up; exec sleep 3600");
    await waitFor(async () => (await flow.getLogs(id)).length === 1, { message: "up" });
    const other = createFlowClient(fm.url, { token: fm.token });
    try {
      const stream = other.logs(id, { tail: 1 });
      expect((await stream.next()).value?.lines).toEqual([expect.objectContaining(out("up"))]);
      other.socket.io.engine.close();
      await expect(stream.next()).rejects.toBeInstanceOf(FlowConnectionError);
    } finally {
      other.close();
    }
  });

  it("the printLogs example prints the tail and new lines until removal, or until aborted", async () => {
    const id = await busybox("example", "echo one; sleep 0.2; echo two >&2; exec sleep 3600");
    await waitFor(async () => (await flow.getLogs(id)).length === 2, { message: "two lines" });
    const printed: string[] = [];
    const actions: Promise<unknown>[] = [];
    const done = printLogs(flow, id, {
      tail: 2,
      print: (text) => {
        printed.push(text);
        if (text === "! two") actions.push(printAsMainProcess(docker, id, "three"));
        if (text === "  three")
          actions.push(flow.deleteContainer({ container_id: id, force: true }));
      },
    });
    expect(await done).toBe(3);
    await Promise.all(actions);
    expect(printed).toEqual(["  one", "! two", "  three", "(the container was removed)"]);

    const other = await busybox("abort", "echo only; exec sleep 3600");
    await waitFor(async () => (await flow.getLogs(other)).length === 1, { message: "only" });
    const stop = new AbortController();
    const lines: string[] = [];
    const count = await printLogs(flow, other, {
      tail: 1,
      signal: stop.signal,
      print: (text) => {
        lines.push(text);
        stop.abort();
      },
    });
    expect([count, lines]).toEqual([1, ["  only"]]);
    // Aborting unsubscribed: following again is allowed.
    const again = flow.logs(other, { tail: 1 });
    expect((await again.next()).done).toBe(false);
    await again.close();
  });
});
