import { z } from "zod";
import { RequestId } from "../common.ts";
import { ContainerRef } from "./requests.ts";

/**
 * Exec sessions: an interactive process (a debugging shell by default) in a running container,
 * driven by the one client that started it. Off unless the manager runs with FLOW_EXEC_ENABLED.
 */

/** The manager's id of an exec session (letters, digits, '_', '.', '-'). */
export const ExecSessionId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\w.-]+$/, "session_id is the id exec_started gave");

/** A terminal dimension in character cells. */
const TerminalCells = z.number().int().min(1).max(1000);

/** An environment variable name as POSIX shells accept it. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,255}$/;

export const ExecStartRequest = z
  .strictObject({
    request_id: RequestId.optional(),
    container_id: ContainerRef,
    /** The command and its arguments (default `["/bin/sh"]`). */
    cmd: z.array(z.string().max(4096)).min(1).max(256).optional(),
    /** Allocate a terminal (stdout and stderr then arrive merged, as `stdout`). Default false. */
    tty: z.boolean().optional(),
    /** Initial terminal size (with `tty` only; default 80 × 24). */
    cols: TerminalCells.optional(),
    rows: TerminalCells.optional(),
    /** Extra environment variables for the process. */
    env: z.record(z.string(), z.string().max(32_768)).optional(),
  })
  .superRefine((req, ctx) => {
    for (const name of Object.keys(req.env ?? {})) {
      if (!ENV_NAME.test(name)) {
        ctx.addIssue({
          code: "custom",
          path: ["env", name],
          message: "environment variable names are letters, digits and '_' (not first)",
        });
      }
    }
    if (req.tty) return;
    for (const key of ["cols", "rows"] as const) {
      if (req[key] !== undefined) {
        ctx.addIssue({ code: "custom", path: [key], message: `${key} needs tty: true` });
      }
    }
  });

/** `data` is UTF-8 text unless `encoding` is `base64` (then any bytes). */
export const ExecInputEncoding = z.enum(["utf8", "base64"]);

export const ExecInputRequest = z
  .strictObject({
    request_id: RequestId.optional(),
    session_id: ExecSessionId,
    /** What to write to the process's standard input. */
    data: z.string().max(1024 * 1024),
    encoding: ExecInputEncoding.optional(),
  })
  .superRefine((req, ctx) => {
    if (req.encoding === "base64" && !z.base64().safeParse(req.data).success) {
      ctx.addIssue({ code: "custom", path: ["data"], message: "data is not valid base64" });
    }
  });

export const ExecResizeRequest = z.strictObject({
  request_id: RequestId.optional(),
  session_id: ExecSessionId,
  cols: TerminalCells,
  rows: TerminalCells,
});

export const ExecCloseRequest = z.strictObject({
  request_id: RequestId.optional(),
  session_id: ExecSessionId,
});

const Echo = { request_id: RequestId.optional() };

export const ExecStarted = z.object({
  ...Echo,
  session_id: z.string(),
  container_id: z.string(),
  cmd: z.array(z.string()),
  tty: z.boolean(),
});

export const ExecInputWritten = z.object({
  ...Echo,
  session_id: z.string(),
  /** How many bytes were written to the process's standard input. */
  bytes: z.number().int(),
});

export const ExecResized = z.object({
  ...Echo,
  session_id: z.string(),
  cols: z.number().int(),
  rows: z.number().int(),
});

export const ExecClosed = z.object({ ...Echo, session_id: z.string() });

export const ExecOutput = z.object({
  session_id: z.string(),
  /** Which output the bytes came from; a terminal (`tty`) merges both into `stdout`. */
  stream: z.enum(["stdout", "stderr"]),
  /** The bytes, base64-encoded (terminal output is not always whole UTF-8 characters). */
  data: z.base64(),
});

export const ExecEnded = z.object({
  session_id: z.string(),
  container_id: z.string(),
  /** The process's exit code (128 + n when signal n ended it); null when Docker no longer knows. */
  exit_code: z.number().int().nullable(),
  /** `exited`: the process ended by itself (or with its container); `closed`: after `exec_close`. */
  reason: z.enum(["exited", "closed"]),
});

export const execClientEvents = {
  exec_start: ExecStartRequest,
  exec_input: ExecInputRequest,
  exec_resize: ExecResizeRequest,
  exec_close: ExecCloseRequest,
} as const;

export const execServerEvents = {
  exec_started: ExecStarted,
  exec_input_written: ExecInputWritten,
  exec_resized: ExecResized,
  exec_closed: ExecClosed,
  exec_output: ExecOutput,
  exec_ended: ExecEnded,
} as const;

export const execReplyEventOf = {
  exec_start: "exec_started",
  exec_input: "exec_input_written",
  exec_resize: "exec_resized",
  exec_close: "exec_closed",
} as const satisfies Record<keyof typeof execClientEvents, keyof typeof execServerEvents>;

export const ExecOperation = z.enum(["exec_start", "exec_input", "exec_resize", "exec_close"]);
export type ExecOperation = z.infer<typeof ExecOperation>;
