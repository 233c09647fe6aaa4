import type { ParsedRequestOf } from "@dockflow/protocol";
import { FlowError } from "../errors.ts";

/**
 * The decisions of exec sessions, without I/O: what a start request runs, whether a client may
 * start one more session, what input bytes a request carries, how output is cut into pushes, and
 * the script that signals a session's processes.
 */

/** Every process of a session carries this variable (value: the session id); closing finds them by it. */
export const SESSION_ENV = "DOCKFLOW_EXEC_SESSION";
export const DEFAULT_CMD: readonly string[] = ["/bin/sh"];
export const DEFAULT_TERMINAL = { cols: 80, rows: 24 } as const;
/** Largest piece of output one `exec_output` push carries. */
export const MAX_OUTPUT_CHUNK_BYTES = 64 * 1024;

export interface ExecLimits {
  maxSessionsPerClient: number;
  maxSessions: number;
}

export interface TerminalSize {
  cols: number;
  rows: number;
}

/** What a session runs, in Docker's terms. */
export interface ExecSpec {
  cmd: string[];
  tty: boolean;
  /** `NAME=value` entries, the session marker last. */
  env: string[];
  /** The initial terminal size (tty only). */
  size: TerminalSize | null;
}

/** The exec a start request asks for; the marker variable is the manager's own. */
export function execSpecOf(req: ParsedRequestOf<"exec_start">, sessionId: string): ExecSpec {
  const env = Object.entries(req.env ?? {});
  if (env.some(([name]) => name === SESSION_ENV)) {
    const message = `${SESSION_ENV} is set by the manager`;
    throw new FlowError("validation_error", `env: ${message}`, {
      issues: [{ path: `env.${SESSION_ENV}`, message }],
    });
  }
  const tty = req.tty ?? false;
  return {
    cmd: [...(req.cmd ?? DEFAULT_CMD)],
    tty,
    env: [...env.map(([name, value]) => `${name}=${value}`), `${SESSION_ENV}=${sessionId}`],
    size: tty
      ? { cols: req.cols ?? DEFAULT_TERMINAL.cols, rows: req.rows ?? DEFAULT_TERMINAL.rows }
      : null,
  };
}

/** The limit a client with `client` sessions (of `total` in all) would exceed with one more, or null. */
export function limitRefusal(
  limits: ExecLimits,
  counts: { client: number; total: number },
): { variable: string; message: string } | null {
  if (counts.client >= limits.maxSessionsPerClient) {
    return {
      variable: "FLOW_EXEC_MAX_PER_CLIENT",
      message: `this client already has ${counts.client} exec sessions (FLOW_EXEC_MAX_PER_CLIENT=${limits.maxSessionsPerClient}); close one first`,
    };
  }
  if (counts.total >= limits.maxSessions) {
    return {
      variable: "FLOW_EXEC_MAX_SESSIONS",
      message: `the manager already runs ${counts.total} exec sessions (FLOW_EXEC_MAX_SESSIONS=${limits.maxSessions})`,
    };
  }
  return null;
}

/** The bytes an `exec_input` carries (`data` was checked to be base64 when it says so). */
export function inputBytes(req: ParsedRequestOf<"exec_input">): Buffer {
  return Buffer.from(req.data, req.encoding === "base64" ? "base64" : "utf8");
}

/** `buf` in pieces of at most `max` bytes, in order. */
export function outputChunks(buf: Buffer, max = MAX_OUTPUT_CHUNK_BYTES): Buffer[] {
  const out: Buffer[] = [];
  for (let offset = 0; offset < buf.length; offset += max) {
    out.push(buf.subarray(offset, offset + max));
  }
  return out;
}

/**
 * A command that sends `signal` to every process of the session: each carries the marker
 * variable, children included, so the shell and what it started go together. Runs with the
 * container's default user, who owns those processes; needs a POSIX shell and grep (busybox has both).
 * The marker is matched as a pattern (busybox's `grep -F` stops at the NULs between variables);
 * it holds only letters, digits, '_', '=' and '-', which patterns take literally.
 */
export function signalCommand(sessionId: string, signal: "HUP" | "KILL"): string[] {
  if (!/^[\w-]+$/.test(sessionId)) throw new Error(`unexpected session id ${sessionId}`);
  const marker = `${SESSION_ENV}=${sessionId}`;
  return [
    "/bin/sh",
    "-c",
    `for p in /proc/[0-9]*; do grep -qa '${marker}' "$p/environ" 2>/dev/null && kill -${signal} "\${p#/proc/}" 2>/dev/null; done; true`,
  ];
}
