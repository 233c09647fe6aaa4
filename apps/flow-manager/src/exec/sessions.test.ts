import { EventEmitter } from "node:events";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { ActivityLog } from "../activity-log.ts";
import { ClientRegistry } from "../clients.ts";
import { FlowError } from "../errors.ts";
import type { DockerExec, ExecProcess, OutputStream } from "./docker-exec.ts";
import { ExecSessions } from "./sessions.ts";

/** A process that writes what the test tells it to, and ends when the test (or a signal) says. */
class FakeProcess implements ExecProcess {
  readonly input: Buffer[] = [];
  readonly calls: string[] = [];
  private emit: ((stream: OutputStream, bytes: Buffer) => void) | null = null;
  private finish: () => void = () => {};
  private readonly done = new Promise<void>((resolve) => {
    this.finish = resolve;
  });
  exit: number | null = 0;

  async write(bytes: Buffer) {
    this.input.push(bytes);
  }
  pipe(onOutput: (stream: OutputStream, bytes: Buffer) => void) {
    this.emit = onOutput;
    return this.done;
  }
  pause() {
    this.calls.push("pause");
  }
  resume() {
    this.calls.push("resume");
  }
  async resize() {
    this.calls.push("resize");
  }
  async exitCode() {
    return this.exit;
  }
  detach() {
    this.finish();
  }
  print(text: string, stream: OutputStream = "stdout") {
    this.emit?.(stream, Buffer.from(text));
  }
  end(code: number | null) {
    this.exit = code;
    this.finish();
  }
}

function setup(limits = { maxSessionsPerClient: 2, maxSessions: 3 }) {
  const processes: FakeProcess[] = [];
  const signals: string[] = [];
  const docker = {
    async start() {
      const p = new FakeProcess();
      processes.push(p);
      return p;
    },
    async signal(_container: string, _session: string, signal: "HUP" | "KILL") {
      signals.push(signal);
      // SIGHUP ends the newest process, as a shell would.
      processes.at(-1)?.end(129);
    },
  } as unknown as DockerExec;
  const clients = new ClientRegistry();
  const sent: { client: string; event: string; payload: Record<string, unknown> }[] = [];
  const conns = new Map<string, EventEmitter & { writeBuffer: unknown[] }>();
  const connect = (id: string) => {
    const conn = Object.assign(new EventEmitter(), {
      writeBuffer: [] as unknown[],
      transport: { writable: true },
    });
    conns.set(id, conn);
    clients.add({
      id,
      conn,
      emit: (event, payload) => sent.push({ client: id, event, payload: payload as never }),
    });
  };
  const activity = new ActivityLog({
    size: 100,
    log: pino({ level: "silent" }),
    publish: () => {},
  });
  const sessions = new ExecSessions({
    limits,
    docker,
    clients,
    activity,
    log: pino({ level: "silent" }),
  });
  return { sessions, processes, signals, clients, sent, conns, connect, activity };
}

const container = { id: "c".repeat(64), name: "flow-1" };

describe("ExecSessions", () => {
  it("sends output to the session's client only, after begin, then exec_ended", async () => {
    const t = setup();
    t.connect("a");
    t.connect("b");
    const session = await t.sessions.start("a", container, { container_id: "flow-1" });
    const process = t.processes[0] as FakeProcess;
    session.begin();
    process.print("hi\n");
    process.print("oops\n", "stderr");
    process.end(3);
    await session.ended;
    expect(t.sent.map((s) => [s.client, s.event, s.payload.stream ?? null])).toEqual([
      ["a", "exec_output", "stdout"],
      ["a", "exec_output", "stderr"],
      ["a", "exec_ended", null],
    ]);
    expect(Buffer.from(String(t.sent[0]?.payload.data), "base64").toString()).toBe("hi\n");
    expect(t.sent[2]?.payload).toEqual({
      session_id: session.id,
      container_id: container.id,
      exit_code: 3,
      reason: "exited",
    });
  });

  it("treats another client's session id as unknown", async () => {
    const t = setup();
    t.connect("a");
    t.connect("b");
    const session = await t.sessions.start("a", container, { container_id: "flow-1" });
    expect(t.sessions.owned("a", session.id)).toBe(session);
    const refused = (() => {
      try {
        t.sessions.owned("b", session.id);
      } catch (error) {
        return error as FlowError;
      }
    })();
    expect(refused).toBeInstanceOf(FlowError);
    expect(refused?.message).toBe(`no exec session "${session.id}"`);
  });

  it("counts starts under way against the limits, and frees a place when a session ends", async () => {
    const t = setup({ maxSessionsPerClient: 2, maxSessions: 3 });
    t.connect("a");
    t.connect("b");
    const req = { container_id: "flow-1" };
    const [s1] = await Promise.all([
      t.sessions.start("a", container, req),
      t.sessions.start("a", container, req),
    ]);
    await expect(t.sessions.start("a", container, req)).rejects.toMatchObject({
      errorType: "validation_error",
      details: { limit: "FLOW_EXEC_MAX_PER_CLIENT" },
    });
    await t.sessions.start("b", container, req);
    await expect(t.sessions.start("b", container, req)).rejects.toMatchObject({
      details: { limit: "FLOW_EXEC_MAX_SESSIONS" },
    });
    s1?.begin();
    t.processes[0]?.end(0);
    await s1?.ended;
    await expect(t.sessions.start("b", container, req)).resolves.toBeDefined();
  });

  it("holds output back while the client's buffer is full, and lets it go on drain", async () => {
    const t = setup();
    t.connect("a");
    const session = await t.sessions.start("a", container, { container_id: "flow-1" });
    const process = t.processes[0] as FakeProcess;
    session.begin();
    const conn = t.conns.get("a");
    conn?.writeBuffer.push(...new Array(16).fill({}));
    process.print("x");
    process.print("y");
    expect(process.calls).toEqual(["pause"]);
    conn?.emit("drain");
    expect(process.calls).toEqual(["pause", "resume"]);
    // Nothing was dropped while held.
    expect(t.sent.filter((s) => s.event === "exec_output")).toHaveLength(2);
  });

  it("ends a client's sessions when it goes, audited without an exec_ended push", async () => {
    const t = setup();
    t.connect("a");
    const session = await t.sessions.start("a", container, {
      container_id: "flow-1",
      cmd: ["sh"],
      env: { SECRET: "hunter2" },
    });
    session.begin();
    t.clients.remove("a");
    t.sessions.endClient("a");
    await session.ended;
    expect(t.signals).toEqual(["HUP"]);
    expect(t.sent.filter((s) => s.event === "exec_ended")).toEqual([]);
    const audit = t.activity.recent(10).map((e) => [e.activity_type, e.details]);
    expect(audit).toEqual([
      ["exec_started", { session_id: session.id, cmd: ["sh"], tty: false, env_names: ["SECRET"] }],
      ["exec_ended", { session_id: session.id, exit_code: 129, reason: "disconnected" }],
    ]);
    expect(JSON.stringify(t.activity.recent(10))).not.toContain("hunter2");
  });

  it("ends a session at once when its client left while it was starting", async () => {
    const t = setup();
    const session = await t.sessions.start("gone", container, { container_id: "flow-1" });
    await session.ended;
    expect(t.signals).toEqual(["HUP"]);
  });

  it("sizes a terminal as it starts", async () => {
    const t = setup();
    t.connect("a");
    await t.sessions.start("a", container, { container_id: "flow-1", tty: true, cols: 90 });
    expect(t.processes[0]?.calls).toEqual(["resize"]);
  });
});
