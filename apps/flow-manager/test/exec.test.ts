import { spawn } from "node:child_process";
import { join } from "node:path";
import type { ServerPayloadOf } from "@dockflow/protocol";
import { removeLabelled, waitFor } from "@dockflow/testkit";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  TestClient as Client,
  docker,
  runFlow,
  startManagerWithClient,
  startTestManager,
  type TestClient,
  type TestManager,
  uniqueName,
} from "./helpers.ts";

/** Everything a session printed on one stream, decoded. */
function outputOf(client: TestClient, sessionId: string, stream: "stdout" | "stderr"): string {
  return Buffer.concat(
    client
      .events("exec_output")
      .filter((o) => o.session_id === sessionId && o.stream === stream)
      .map((o) => Buffer.from(o.data, "base64")),
  ).toString("utf8");
}

function ended(client: TestClient, sessionId: string): Promise<ServerPayloadOf<"exec_ended">> {
  return client.waitEvent("exec_ended", (e) => e.session_id === sessionId);
}

/** Command lines of the processes running in a container, as `docker top` lists them. */
async function processes(containerId: string): Promise<string[]> {
  const top = await docker.getContainer(containerId).top();
  const column = top.Titles.indexOf("CMD");
  return top.Processes.map((p: string[]) => p[column] ?? "");
}

describe("exec sessions, off by default", () => {
  it("answers every exec request with a validation_error saying how to enable it", async () => {
    const { client, close } = await startManagerWithClient();
    try {
      for (const [event, payload] of [
        ["exec_start", { container_id: "anything" }],
        ["exec_input", { session_id: "s-1", data: "ls\n" }],
        ["exec_resize", { session_id: "s-1", cols: 80, rows: 24 }],
        ["exec_close", { session_id: "s-1" }],
      ] as const) {
        const ack = await client.call(event, payload as never);
        expect(ack.ok).toBe(false);
        if (ack.ok) continue;
        expect(ack.error.error_type).toBe("validation_error");
        expect(ack.error.message).toMatch(/exec sessions are disabled.*FLOW_EXEC_ENABLED=true/);
        expect(ack.error.details.operation).toBe(event);
      }
    } finally {
      await close();
    }
  });
});

describe("exec sessions in a running flow container", () => {
  let fm: TestManager;
  let owner: TestClient;
  let other: TestClient;
  let containerId: string;
  /** The manager's log lines (debug and up). */
  const logLines: string[] = [];

  beforeAll(async () => {
    fm = await startTestManager(
      { FLOW_EXEC_ENABLED: "true", FLOW_EXEC_MAX_PER_CLIENT: "2", FLOW_EXEC_MAX_SESSIONS: "3" },
      undefined,
      { logger: pino({ level: "debug" }, { write: (line: string) => logLines.push(line) }) },
    );
    owner = await Client.connect(fm.url);
    other = await Client.connect(fm.url);
    containerId = await runFlow(owner, uniqueName("exec"));
  });
  afterAll(async () => {
    owner?.close();
    other?.close();
    await fm?.close();
    await removeLabelled(docker);
  });

  it("relays input and output of `read x; echo got:$x` and reports exit code 0", async () => {
    const started = await owner.ok("exec_start", {
      request_id: "exec-read",
      container_id: containerId,
      cmd: ["sh", "-c", "read x; echo got:$x"],
    });
    expect(started).toMatchObject({
      request_id: "exec-read",
      container_id: containerId,
      cmd: ["sh", "-c", "read x; echo got:$x"],
      tty: false,
    });
    const id = started.session_id;
    const written = await owner.ok("exec_input", { session_id: id, data: "hello wörld\n" });
    expect(written).toEqual({ session_id: id, bytes: Buffer.byteLength("hello wörld\n") });

    const end = await ended(owner, id);
    expect(end).toEqual({
      session_id: id,
      container_id: containerId,
      exit_code: 0,
      reason: "exited",
    });
    expect(outputOf(owner, id, "stdout")).toBe("got:hello wörld\n");
    expect(outputOf(owner, id, "stderr")).toBe("");
    // The reply came before any output of the session.
    const order = owner.received
      .filter((r) => (r.payload as { session_id?: string })?.session_id === id)
      .map((r) => r.event);
    expect(order[0]).toBe("exec_started");
    expect(order.at(-1)).toBe("exec_ended");
  });

  it("takes base64 input as bytes and passes env variables", async () => {
    const { session_id: id } = await owner.ok("exec_start", {
      container_id: containerId,
      cmd: ["sh", "-c", 'read x; echo "$GREETING:$x"'],
      env: { GREETING: "hi" },
    });
    await owner.ok("exec_input", {
      session_id: id,
      data: Buffer.from("bytes\n").toString("base64"),
      encoding: "base64",
    });
    expect((await ended(owner, id)).exit_code).toBe(0);
    expect(outputOf(owner, id, "stdout")).toBe("hi:bytes\n");
  });

  it("gives the command's own exit code, and keeps stdout and stderr apart", async () => {
    const { session_id: id } = await owner.ok("exec_start", {
      container_id: containerId,
      cmd: ["sh", "-c", "echo out; echo err >&2; echo more; exit 3"],
    });
    expect((await ended(owner, id)).exit_code).toBe(3);
    expect(outputOf(owner, id, "stdout")).toBe("out\nmore\n");
    expect(outputOf(owner, id, "stderr")).toBe("err\n");
  });

  it("sizes and resizes a terminal: `stty size` prints rows and columns", async () => {
    const { session_id: id, tty } = await owner.ok("exec_start", {
      container_id: containerId,
      tty: true,
      cols: 101,
      rows: 33,
    });
    expect(tty).toBe(true);
    await owner.ok("exec_input", { session_id: id, data: "stty size\n" });
    await waitFor(() => outputOf(owner, id, "stdout").includes("33 101"), {
      message: "initial terminal size",
    });
    expect(await owner.ok("exec_resize", { session_id: id, cols: 132, rows: 43 })).toEqual({
      session_id: id,
      cols: 132,
      rows: 43,
    });
    await owner.ok("exec_input", { session_id: id, data: "stty size; exit 7\n" });
    expect((await ended(owner, id)).exit_code).toBe(7);
    expect(outputOf(owner, id, "stdout")).toMatch(/43 132\r\n/);
    // A terminal merges both streams into stdout.
    expect(outputOf(owner, id, "stderr")).toBe("");
  });

  it("refuses resize on a session without a terminal", async () => {
    const { session_id: id } = await owner.ok("exec_start", {
      container_id: containerId,
      cmd: ["sleep", "300"],
    });
    const ack = await owner.call("exec_resize", { session_id: id, cols: 10, rows: 10 });
    expect(ack.ok ? null : ack.error.error_type).toBe("validation_error");
    await owner.ok("exec_close", { session_id: id });
    await ended(owner, id);
  });

  it("lets no other client see or drive a session", async () => {
    const { session_id: id } = await owner.ok("exec_start", {
      container_id: containerId,
      cmd: ["sh", "-c", "read x; echo got:$x"],
    });
    for (const [event, payload] of [
      ["exec_input", { session_id: id, data: "intruder\n" }],
      ["exec_resize", { session_id: id, cols: 10, rows: 10 }],
      ["exec_close", { session_id: id }],
    ] as const) {
      const ack = await other.call(event, payload as never);
      expect(ack.ok).toBe(false);
      if (ack.ok) continue;
      // Exactly what a session id that never existed gets.
      expect(ack.error.error_type).toBe("validation_error");
      expect(ack.error.message).toBe(`no exec session "${id}"`);
    }
    const unknown = await other.call("exec_input", { session_id: "no-such-session", data: "x" });
    expect(unknown.ok ? null : unknown.error.message).toBe('no exec session "no-such-session"');

    await owner.ok("exec_input", { session_id: id, data: "owner\n" });
    expect((await ended(owner, id)).exit_code).toBe(0);
    expect(outputOf(owner, id, "stdout")).toBe("got:owner\n");
    expect(other.events("exec_output").filter((o) => o.session_id === id)).toEqual([]);
    expect(other.events("exec_ended").filter((o) => o.session_id === id)).toEqual([]);
  });

  it("closes a session on request: exec_closed, then exec_ended, and the process is gone", async () => {
    const { session_id: id } = await owner.ok("exec_start", {
      container_id: containerId,
      cmd: ["sleep", "4141"],
    });
    await waitFor(async () => (await processes(containerId)).includes("sleep 4141"), {
      message: "sleep 4141 running",
    });
    expect(await owner.ok("exec_close", { session_id: id })).toEqual({ session_id: id });
    // SIGHUP ended it: 128 + 1.
    expect(await ended(owner, id)).toEqual({
      session_id: id,
      container_id: containerId,
      exit_code: 129,
      reason: "closed",
    });
    expect(await processes(containerId)).not.toContain("sleep 4141");
    const again = await owner.call("exec_input", { session_id: id, data: "x" });
    expect(again.ok ? null : again.error.message).toBe(`no exec session "${id}"`);
  });

  it("kills a session's processes, children included, when its client disconnects", async () => {
    const leaving = await Client.connect(fm.url);
    const { session_id: id } = await leaving.ok("exec_start", {
      container_id: containerId,
      cmd: ["sh", "-c", "sleep 4242 & sleep 4343"],
    });
    await waitFor(
      async () => {
        const running = await processes(containerId);
        return running.includes("sleep 4242") && running.includes("sleep 4343");
      },
      { message: "both sleeps running" },
    );
    leaving.close();
    await waitFor(
      async () => {
        const running = await processes(containerId);
        return !running.includes("sleep 4242") && !running.includes("sleep 4343");
      },
      { message: "the session's processes gone after the disconnect" },
    );
    // The end is recorded once Docker has the exit code, just after the processes are gone.
    const audit = await waitFor(
      async () => {
        const history = await owner.ok("get_activity_log", {
          container_id: containerId,
          limit: 1000,
        });
        const entries = history.entries.filter((e) => e.details.session_id === id);
        return entries.some((e) => e.activity_type === "exec_ended") ? entries : undefined;
      },
      { message: "the session's end in the audit trail" },
    );
    expect(audit.map((e) => [e.activity_type, e.details.reason ?? null])).toEqual([
      ["exec_started", null],
      ["exec_ended", "disconnected"],
    ]);
    expect(audit[0]?.details).toMatchObject({
      cmd: ["sh", "-c", "sleep 4242 & sleep 4343"],
      tty: false,
    });
  });

  it("holds the output for a client that reads nothing, then delivers every byte", async () => {
    const size = 32 * 1024 * 1024;
    // A client in a process of its own, stopped with SIGSTOP: it reads nothing at all.
    const child = spawn(process.execPath, [
      join(import.meta.dirname, "fixtures", "slow-exec-client.cjs"),
      fm.url,
      containerId,
      `head -c ${size} /dev/zero; echo done >&2`,
    ]);
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8");
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    await waitFor(() => out.includes("started"), { message: "the slow client's session" });
    const heldBefore = logLines.filter((l) => l.includes("exec output held")).length;
    child.kill("SIGSTOP");
    try {
      await waitFor(
        () => logLines.filter((l) => l.includes("exec output held")).length > heldBefore,
        {
          message: "the manager holding the output back",
        },
      );
    } finally {
      child.kill("SIGCONT");
    }
    expect(await exited).toBe(0);
    expect(JSON.parse(out.trim().split("\n").at(-1) ?? "")).toEqual({
      exit_code: 0,
      stdout: size,
      non_zero: 0,
      stderr: "done\n",
    });
  });

  it("keeps starts and ends in the audit trail, never input or output", async () => {
    const history = await owner.ok("get_activity_log", { container_id: containerId, limit: 1000 });
    const exec = history.entries.filter((e) => e.activity_type.startsWith("exec_"));
    expect(exec.length).toBeGreaterThanOrEqual(10);
    const text = JSON.stringify(history.entries);
    for (const secret of ["hello wörld", "got:hello", "intruder", "hi:bytes", "stty size"]) {
      expect(text).not.toContain(secret);
    }
    const envNames = exec
      .filter((e) => e.activity_type === "exec_started")
      .map((e) => e.details.env_names);
    expect(envNames).toContainEqual(["GREETING"]);
    expect(text).not.toContain('"hi"');
  });

  it("limits sessions per client and in total", async () => {
    const third = await Client.connect(fm.url);
    try {
      const start = (c: TestClient) =>
        c.call("exec_start", { container_id: containerId, cmd: ["sleep", "300"] });
      const a1 = await start(owner);
      const a2 = await start(owner);
      expect([a1.ok, a2.ok]).toEqual([true, true]);
      const a3 = await start(owner);
      expect(a3.ok).toBe(false);
      if (!a3.ok) {
        expect(a3.error.error_type).toBe("validation_error");
        expect(a3.error.details.limit).toBe("FLOW_EXEC_MAX_PER_CLIENT");
      }
      const b1 = await start(third);
      expect(b1.ok).toBe(true);
      const b2 = await start(third);
      expect(b2.ok).toBe(false);
      if (!b2.ok) {
        expect(b2.error.error_type).toBe("validation_error");
        expect(b2.error.details.limit).toBe("FLOW_EXEC_MAX_SESSIONS");
      }
      // A closed session frees its place.
      if (a1.ok) {
        await owner.ok("exec_close", { session_id: a1.data.session_id });
        await ended(owner, a1.data.session_id);
      }
      const b3 = await start(third);
      expect(b3.ok).toBe(true);
    } finally {
      third.close();
      for (const s of owner.events("exec_started")) {
        await owner.call("exec_close", { session_id: s.session_id });
      }
    }
  });

  it("refuses bad requests and containers that are not running, with the seed's error types", async () => {
    const missing = await owner.call("exec_start", { container_id: "no-such-container-here" });
    expect(missing.ok ? null : missing.error.error_type).toBe("container_not_found");

    const badSize = await owner.call("exec_start", { container_id: containerId, cols: 80 });
    expect(badSize.ok ? null : badSize.error.details.issues).toEqual([
      { path: "cols", message: "cols needs tty: true" },
    ]);
    const badInput = await owner.call("exec_input", {
      session_id: "s",
      data: "not base64!",
      encoding: "base64",
    });
    expect(badInput.ok ? null : badInput.error.details.issues).toEqual([
      { path: "data", message: "data is not valid base64" },
    ]);
    const marker = await owner.call("exec_start", {
      container_id: containerId,
      env: { DOCKFLOW_EXEC_SESSION: "x" },
    });
    expect(marker.ok ? null : marker.error.error_type).toBe("validation_error");

    const stopped = await runFlow(owner, uniqueName("exec-stopped"));
    await owner.ok("stop_container", { container_id: stopped, timeout: 0 });
    const ack = await owner.call("exec_start", { container_id: stopped });
    expect(ack.ok).toBe(false);
    if (!ack.ok) {
      expect(ack.error.error_type).toBe("docker_api_error");
      expect(ack.error.message).toMatch(/is exited: exec_start needs a running container/);
      expect(ack.error.details).toMatchObject({ operation: "exec_start", container_id: stopped });
    }
  });
});
