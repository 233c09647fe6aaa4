import type { LogLine, ServerPayloadOf } from "@dockflow/protocol";
import {
  execIn as execInContainer,
  printAsMainProcess,
  removeLabelled,
  testLabels,
  waitFor,
} from "@dockflow/testkit";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  TestClient as Client,
  docker,
  startTestManager,
  type TestClient,
  type TestManager,
  uniqueName,
} from "./helpers.ts";

const BUSYBOX = "dockflow-base/busybox:local";
const RFC3339_NANO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/;

const execIn = (id: string, cmd: string[]) => execInContainer(docker, id, cmd);
const say = (id: string, text: string, fd: 1 | 2 = 1) => printAsMainProcess(docker, id, text, fd);

const out = (text: string): LogLine => ({ stream: "stdout", text });
const err = (text: string): LogLine => ({ stream: "stderr", text });
const texts = (lines: LogLine[]) => lines.map((l) => l.text);

describe("container logs", () => {
  let fm: TestManager;
  let a: TestClient;
  let b: TestClient;
  /** The manager's log lines (debug level), to count Docker log streams. */
  const managerLog: { msg: string; container_id?: string }[] = [];
  const streamsOpened = (id: string) =>
    managerLog.filter((l) => l.msg === "log stream opened" && l.container_id === id).length;

  beforeAll(async () => {
    const logger = pino(
      { level: "debug" },
      { write: (line: string) => void managerLog.push(JSON.parse(line)) },
    );
    fm = await startTestManager({ FLOW_LOG_CLIENT_BUFFER_BYTES: "65536" }, undefined, { logger });
    a = await Client.connect(fm.url);
    b = await Client.connect(fm.url);
  });

  afterAll(async () => {
    a?.close();
    b?.close();
    await fm?.close();
    await removeLabelled(docker);
  });

  /** Creates and starts a busybox container running `script`. */
  async function busybox(tag: string, script: string): Promise<string> {
    const created = await a.ok("create_container", {
      image: BUSYBOX,
      name: uniqueName(tag),
      command: ["sh", "-c", script],
    });
    await a.ok("start_container", { container_id: created.container_id });
    return created.container_id;
  }

  async function logsOf(
    id: string,
    extra: { tail?: number; since?: number | string; timestamps?: boolean } = {},
  ): Promise<LogLine[]> {
    return (await a.ok("get_container_logs", { container_id: id, ...extra })).lines;
  }

  function pushes(client: TestClient, id: string): ServerPayloadOf<"container_log">[] {
    return client.events("container_log").filter((p) => p.container_id === id);
  }
  const received = (client: TestClient, id: string) => pushes(client, id).flatMap((p) => p.lines);

  it("reads exact lines and streams in order, the tail, since a time, with timestamps", async () => {
    const id = await busybox(
      "read",
      "echo out-1; sleep 0.2; echo err-1 >&2; sleep 0.2; echo out-2; sleep 0.2; echo err-2 >&2; exec sleep 3600",
    );
    const all = [out("out-1"), err("err-1"), out("out-2"), err("err-2")];
    await waitFor(async () => (await logsOf(id)).length === 4, { message: "four lines" });

    const reply = await a.ok("get_container_logs", { request_id: "logs-1", container_id: id });
    expect(reply).toEqual({ request_id: "logs-1", container_id: id, lines: all });
    await a.waitEvent("container_logs", (e) => e.request_id === "logs-1");
    expect(await logsOf(id, { tail: 2 })).toEqual(all.slice(2));
    expect(await logsOf(id, { tail: 0 })).toEqual([]);

    const stamped = await logsOf(id, { timestamps: true });
    expect(stamped.map(({ stream, text }) => ({ stream, text }))).toEqual(all);
    for (const line of stamped) expect(line.time).toMatch(RFC3339_NANO);
    const third = stamped[2]!.time!;
    expect(await logsOf(id, { since: third })).toEqual(all.slice(2));
    // Unix seconds: milliseconds of the third line's time are enough (lines are 200 ms apart).
    expect(await logsOf(id, { since: Date.parse(third) / 1000 })).toEqual(all.slice(2));
    expect(await logsOf(id, { since: Date.now() / 1000 + 3600 })).toEqual([]);
  });

  it("refuses bad requests with the seed's error types and the operation", async () => {
    const id = await busybox("bad", "exec sleep 3600");
    const cases: [string, Record<string, unknown>, string][] = [
      ["get_container_logs", { container_id: id, tail: 5001 }, "tail"],
      ["get_container_logs", { container_id: id, tail: -1 }, "tail"],
      ["get_container_logs", { container_id: id, since: "yesterday" }, "since"],
      ["get_container_logs", { container_id: id, since: -5 }, "since"],
      ["get_container_logs", { container_id: id, timestamps: "yes" }, "timestamps"],
      ["subscribe_logs", { container_id: id, tail: 1.5 }, "tail"],
      ["subscribe_logs", { container_id: id, follow: true }, "(root)"],
      ["unsubscribe_logs", {}, "container_id"],
    ];
    for (const [event, payload, path] of cases) {
      const ack = (await a.raw(event, payload)) as { ok: false; error: { details: unknown } };
      expect(ack, `${event} ${JSON.stringify(payload)}`).toMatchObject({
        ok: false,
        error: {
          error_type: "validation_error",
          details: { operation: event, issues: [expect.objectContaining({ path })] },
        },
      });
    }
    for (const event of ["get_container_logs", "subscribe_logs", "unsubscribe_logs"] as const) {
      const ack = await a.call(event, { container_id: "no-such-container-here" });
      expect(ack).toMatchObject({
        ok: false,
        error: { error_type: "container_not_found", details: { operation: event } },
      });
    }
  });

  it("docker_api_error when Docker cannot read the container's log driver", async () => {
    const container = await docker.createContainer({
      Image: BUSYBOX,
      name: uniqueName("nolog"),
      Cmd: ["sleep", "3600"],
      HostConfig: { LogConfig: { Type: "none", Config: {} } },
      Labels: {
        ...testLabels(),
        "dockflow.flow.managed": "true",
        "dockflow.flow.manager": fm.managerId,
      },
    });
    await container.start();
    for (const event of ["get_container_logs", "subscribe_logs"] as const) {
      const ack = await a.call(event, { request_id: `nolog-${event}`, container_id: container.id });
      expect(ack).toMatchObject({
        ok: false,
        error: {
          error_type: "docker_api_error",
          details: { operation: event, request_id: `nolog-${event}`, container_id: container.id },
        },
      });
    }
    // A failed subscription leaves nothing behind: no stream, and the client may try again.
    expect(streamsOpened(container.id)).toBe(0);
    const again = await a.call("subscribe_logs", { container_id: container.id });
    expect(again).toMatchObject({ ok: false, error: { error_type: "docker_api_error" } });
  });

  it("follows: the tail, then new lines in order, to two clients over one Docker stream", async () => {
    const id = await busybox("follow", "echo past-1; echo past-2 >&2; exec sleep 3600");
    await waitFor(async () => (await logsOf(id)).length === 2, { message: "two lines" });
    // Docker copies stdout and stderr on separate pipes, so which of the two it logged last (the
    // tail of 1) is Docker's order, not the order the shell printed them in.
    const [, last] = await logsOf(id);

    const subscribed = await a.ok("subscribe_logs", {
      request_id: "sub-a",
      container_id: id,
      tail: 1,
    });
    expect(subscribed).toEqual({ request_id: "sub-a", container_id: id });
    await b.ok("subscribe_logs", { container_id: id });
    await say(id, "live-1");
    await say(id, "live-2", 2);
    await waitFor(() => texts(received(a, id)).includes("live-2"), { message: "a: live-2" });
    await waitFor(() => texts(received(b, id)).includes("live-2"), { message: "b: live-2" });
    expect(received(a, id)).toEqual([
      expect.objectContaining({ stream: last!.stream, text: last!.text }),
      expect.objectContaining(out("live-1")),
      expect.objectContaining(err("live-2")),
    ]);
    expect(received(b, id)).toEqual([
      expect.objectContaining(out("live-1")),
      expect.objectContaining(err("live-2")),
    ]);
    for (const line of received(a, id)) expect(line.time).toMatch(RFC3339_NANO);
    // The reply came before the first push.
    const order = a.received.map((r) => r.event);
    expect(order.indexOf("logs_subscribed")).toBeLessThan(order.indexOf("container_log"));
    expect(streamsOpened(id)).toBe(1);

    const again = await a.call("subscribe_logs", { container_id: id });
    expect(again).toMatchObject({ ok: false, error: { error_type: "validation_error" } });

    expect(await a.ok("unsubscribe_logs", { request_id: "unsub-a", container_id: id })).toEqual({
      request_id: "unsub-a",
      container_id: id,
    });
    await say(id, "live-3");
    await waitFor(() => texts(received(b, id)).includes("live-3"), { message: "b: live-3" });
    await a.ok("list_containers", {}); // anything still on its way to a arrives before this
    expect(texts(received(a, id))).toEqual([last!.text, "live-1", "live-2"]);
    expect(streamsOpened(id)).toBe(1);
  });

  it("ends with `ended: true` when the container is removed, and closes the stream on disconnect", async () => {
    const id = await busybox("end", "exec sleep 3600");
    await a.ok("subscribe_logs", { container_id: id });
    await say(id, "last words");
    await waitFor(() => texts(received(a, id)).includes("last words"), { message: "line" });
    await a.ok("delete_container", { container_id: id, force: true });
    const last = await a.waitEvent("container_log", (p) => p.container_id === id && !!p.ended);
    expect(pushes(a, id).at(-1)).toBe(last);
    expect(texts(received(a, id))).toEqual(["last words"]);

    const c = await Client.connect(fm.url);
    const other = await busybox("gone", "exec sleep 3600");
    await c.ok("subscribe_logs", { container_id: other });
    await waitFor(() => streamsOpened(other) === 1, { message: "stream opened" });
    c.close();
    await waitFor(
      () => managerLog.some((l) => l.msg === "log stream closed" && l.container_id === other),
      { message: "stream closed after the disconnect" },
    );
  });

  it("keeps following across a stop and start", async () => {
    const id = await busybox("restart", "echo started; exec sleep 3600");
    await waitFor(async () => (await logsOf(id)).length === 1, { message: "started" });
    await a.ok("subscribe_logs", { container_id: id });
    await say(id, "before");
    await waitFor(() => texts(received(a, id)).includes("before"), { message: "before" });
    await a.ok("stop_container", { container_id: id, timeout: 0 });
    await a.ok("start_container", { container_id: id });
    await waitFor(() => texts(received(a, id)).length === 2, { message: "started again" });
    await say(id, "after");
    await waitFor(() => texts(received(a, id)).includes("after"), { message: "after" });
    expect(texts(received(a, id))).toEqual(["before", "started", "after"]);
  });

  it("splits lines longer than 16 KiB into partial pieces and nothing is lost", async () => {
    const id = await busybox("long", "exec sleep 3600");
    await execIn(id, [
      "sh",
      "-c",
      `awk 'BEGIN{s=sprintf("%40000s",""); gsub(/ /,"a",s); print s; print "short"}' > /proc/1/fd/1`,
    ]);
    await waitFor(async () => (await logsOf(id)).length === 4, { message: "pieces" });
    const lines = await logsOf(id);
    expect(lines.map((l) => [l.stream, l.text.length, l.partial])).toEqual([
      ["stdout", 16384, true],
      ["stdout", 16384, true],
      ["stdout", 40000 - 2 * 16384, undefined],
      ["stdout", 5, undefined],
    ]);
    expect(lines.slice(0, 3).every((l) => /^a+$/.test(l.text))).toBe(true);
  });

  it("reads a TTY container's raw stream", async () => {
    const container = await docker.createContainer({
      Image: BUSYBOX,
      name: uniqueName("tty"),
      Tty: true,
      Cmd: ["sh", "-c", "echo tty-1; echo tty-2 >&2; exec sleep 3600"],
      Labels: {
        ...testLabels(),
        "dockflow.flow.managed": "true",
        "dockflow.flow.manager": fm.managerId,
      },
    });
    await container.start();
    const id = container.id;
    await waitFor(async () => (await logsOf(id)).length === 2, { message: "two lines" });
    // A TTY has one stream: stderr arrives as stdout; the \r of \r\n is gone.
    expect(await logsOf(id)).toEqual([out("tty-1"), out("tty-2")]);
    const stamped = await logsOf(id, { timestamps: true });
    expect(texts(stamped)).toEqual(["tty-1", "tty-2"]);
    for (const line of stamped) expect(line.time).toMatch(RFC3339_NANO);

    await b.ok("subscribe_logs", { container_id: id });
    await say(id, "tty-live");
    await waitFor(() => texts(received(b, id)).includes("tty-live"), { message: "tty-live" });
    expect(received(b, id)).toEqual([expect.objectContaining(out("tty-live"))]);

    // Followed lines carry timestamps; Docker's inside a long TTY line are taken out too.
    await execIn(id, [
      "sh",
      "-c",
      `awk 'BEGIN{s=sprintf("%40000s",""); gsub(/ /,"a",s); print s}' > /proc/1/fd/1`,
    ]);
    await waitFor(() => received(b, id).length === 4, { message: "the long line's pieces" });
    expect(received(b, id).map((l) => [l.text.length, /^a+$/.test(l.text), l.partial])).toEqual([
      [8, false, undefined],
      [16384, true, true],
      [16384, true, true],
      [40000 - 2 * 16384, true, undefined],
    ]);
  });

  it("drops a slow client's oldest lines and says exactly how many", async () => {
    const id = await busybox("slow", "exec sleep 3600");
    const slow = await Client.connect(fm.url);
    const count = 20_000;
    const name = (i: number) => `line-${String(i).padStart(7, "0")}`;
    /** Checks that each push's `dropped` is exactly the gap before its first line; the total. */
    const droppedBy = (client: TestClient): number => {
      let next = 1;
      let dropped = 0;
      for (const push of pushes(client, id)) {
        next += push.dropped ?? 0;
        dropped += push.dropped ?? 0;
        for (const line of push.lines) {
          expect(line.text.slice(0, 12)).toBe(name(next));
          next++;
        }
      }
      expect(next).toBe(count + 1);
      return dropped;
    };
    try {
      await a.ok("subscribe_logs", { container_id: id });
      await slow.ok("subscribe_logs", { container_id: id });
      // The slow client stops reading its connection: the kernel's buffers fill, then the
      // manager's queue for it (64 KiB here) drops its oldest lines.
      // biome-ignore lint/suspicious/noExplicitAny: engine.io-client's websocket (ws) internals
      const tcp = (slow.socket.io.engine.transport as any).ws._socket;
      tcp.pause();
      await execIn(id, [
        "sh",
        "-c",
        `awk 'BEGIN{p=sprintf("%990s",""); gsub(/ /,"x",p); for(i=1;i<=${count};i++) printf "line-%07d %s\\n", i, p}' > /proc/1/fd/1`,
      ]);
      // The reading client got the last line: the manager has read all of them from Docker.
      await waitFor(() => received(a, id).at(-1)?.text.startsWith(name(count)), {
        message: "the reading client got the last line",
        timeoutMs: 40_000,
      });
      // It may have lost lines too (it shares this process with the manager, and Docker writes
      // 20 MB faster than that), but each push says exactly how many.
      droppedBy(a);

      tcp.resume();
      await waitFor(() => received(slow, id).at(-1)?.text.startsWith(name(count)), {
        message: "the slow client got the last line",
        timeoutMs: 40_000,
      });
      expect(droppedBy(slow)).toBeGreaterThan(0);
    } finally {
      slow.close();
    }
  });
});
