import { randomUUID } from "node:crypto";
import type { ParsedRequestOf } from "@dockflow/protocol";
import type { Logger } from "pino";
import type { ActivityLog } from "../activity-log.ts";
import type { ClientRegistry } from "../clients.ts";
import { FlowError } from "../errors.ts";
import type { DockerExec, OutputStream } from "./docker-exec.ts";
import { type ExecLimits, execSpecOf, limitRefusal } from "./policy.ts";
import { type EndReason, ExecSession } from "./session.ts";

/**
 * Output pushes (at most 64 KiB each) that may wait for a slow client before its sessions' output
 * is held back: about 1 MiB a client.
 */
const MAX_CLIENT_BACKLOG_PACKETS = 16;

export interface ExecSessionsOptions {
  limits: ExecLimits;
  docker: DockerExec;
  clients: ClientRegistry;
  activity: ActivityLog;
  log: Logger;
}

/**
 * Every exec session, whose client it is, and the limits: a session is visible only to the client
 * that started it (any other client is told it does not exist), ends with that client's connection,
 * and its start and end are in the audit trail (its input and output never are).
 */
export class ExecSessions {
  private readonly sessions = new Map<string, ExecSession>();
  /** Starts under way, per client: they count against the limits before they exist. */
  private readonly starting = new Map<string, number>();
  private readonly options: ExecSessionsOptions;

  constructor(options: ExecSessionsOptions) {
    this.options = options;
  }

  /** Sessions open now. */
  get size(): number {
    return this.sessions.size;
  }

  /** Starts a session for `clientId`; its output flows once `begin()` is called on it. */
  async start(
    clientId: string,
    container: { id: string; name: string },
    req: ParsedRequestOf<"exec_start">,
  ): Promise<ExecSession> {
    const { limits, docker, log } = this.options;
    const refusal = limitRefusal(limits, {
      client: this.countOf(clientId),
      total: this.sessions.size + [...this.starting.values()].reduce((a, b) => a + b, 0),
    });
    if (refusal) {
      throw new FlowError("validation_error", refusal.message, {
        container_id: container.id,
        limit: refusal.variable,
        issues: [{ path: "(root)", message: refusal.message }],
      });
    }
    const id = randomUUID();
    const spec = execSpecOf(req, id);
    this.starting.set(clientId, (this.starting.get(clientId) ?? 0) + 1);
    let session: ExecSession;
    try {
      const process = await docker.start(container.id, spec);
      session = new ExecSession({
        id,
        clientId,
        container,
        spec,
        process,
        docker,
        log,
        onOutput: (s, stream, bytes) => this.output(s, stream, bytes),
        onEnded: (s, exitCode, reason) => this.ended(s, exitCode, reason),
      });
    } finally {
      const left = (this.starting.get(clientId) ?? 1) - 1;
      if (left > 0) this.starting.set(clientId, left);
      else this.starting.delete(clientId);
    }
    this.sessions.set(id, session);
    this.options.activity.record({
      type: "exec_started",
      message: `exec session started in ${container.name}: ${spec.cmd.join(" ")}`.slice(0, 500),
      containerId: container.id,
      clientId,
      details: {
        session_id: id,
        cmd: spec.cmd,
        tty: spec.tty,
        // Names only: values may be secrets.
        env_names: Object.keys(req.env ?? {}),
      },
      audience: [clientId],
    });
    if (spec.size) {
      await session.resize(spec.size).catch(() => {
        // Logged by resize; the session runs at Docker's default size.
      });
    }
    if (!this.options.clients.has(clientId)) void session.terminate("disconnected");
    return session;
  }

  /** The client's own session; any other is "no exec session", whether it exists or not. */
  owned(clientId: string, sessionId: string): ExecSession {
    const session = this.sessions.get(sessionId);
    if (!session || session.clientId !== clientId) {
      throw new FlowError("validation_error", `no exec session "${sessionId}"`, {
        session_id: sessionId,
        issues: [{ path: "session_id", message: "no such exec session of this client" }],
      });
    }
    return session;
  }

  /** Ends every session of a client that went away. */
  endClient(clientId: string): void {
    for (const session of this.sessions.values()) {
      if (session.clientId === clientId) void session.terminate("disconnected");
    }
  }

  /** Ends every session (the manager stops); resolves when they have ended. */
  async close(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((s) => s.terminate("shutdown")));
  }

  private countOf(clientId: string): number {
    let count = this.starting.get(clientId) ?? 0;
    for (const session of this.sessions.values()) if (session.clientId === clientId) count++;
    return count;
  }

  private output(session: ExecSession, stream: OutputStream, bytes: Buffer): void {
    const { clients } = this.options;
    clients.emitTo(session.clientId, "exec_output", {
      session_id: session.id,
      stream,
      data: bytes.toString("base64"),
    });
    if (clients.backlogOf(session.clientId) >= MAX_CLIENT_BACKLOG_PACKETS) {
      session.holdOutput((resume) => clients.onceDrained(session.clientId, resume));
    }
  }

  private ended(session: ExecSession, exitCode: number | null, reason: EndReason): void {
    this.sessions.delete(session.id);
    if (reason === "exited" || reason === "closed") {
      this.options.clients.emitTo(session.clientId, "exec_ended", {
        session_id: session.id,
        container_id: session.container.id,
        exit_code: exitCode,
        reason,
      });
    }
    this.options.activity.record({
      type: "exec_ended",
      message: `exec session ended in ${session.container.name} (${reason}, exit code ${exitCode ?? "unknown"})`,
      containerId: session.container.id,
      clientId: session.clientId,
      details: { session_id: session.id, exit_code: exitCode, reason },
      audience: [session.clientId],
    });
  }
}
