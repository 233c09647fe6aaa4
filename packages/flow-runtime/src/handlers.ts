/** Commands in this namespace are answered by the runtime itself and cannot be handled by code. */
export const RESERVED_PREFIX = "flow.";

/** What a handler gets besides the request's data. */
export interface HandlerContext {
  /** The request's id (replies carry it as `reply_to`). */
  readonly id: string;
  /** The command being handled. */
  readonly command: string;
  /** Aborted when the code is reloaded or the runtime shuts down. */
  readonly signal: AbortSignal;
  /**
   * Sends an unasked message (no `reply_to`) to every connected manager. Returns how many
   * connections it was written to. Throws if `data` cannot be encoded or the line is too large.
   */
  send(command: string, data?: unknown): number;
  /**
   * Sends `{reply_to: id, command: "status", data}` to the connection the request came from.
   * Ignored once the request has been answered.
   */
  status(data?: unknown): void;
  /** Runs `fn` once the final reply has been written (or could not be). */
  afterReply(fn: () => void): void;
}

/** A command handler: its (awaited) return value is the `result`, a throw becomes the `error`. */
export type Handler = (data: unknown, ctx: HandlerContext) => unknown;

export type HandlerTable = ReadonlyMap<string, Handler>;
