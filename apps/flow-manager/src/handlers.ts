import type { Operation, ParsedRequestOf, ReplyOf } from "@dockflow/protocol";

/** Who asked, and hooks run once the reply has been sent (so later events follow it). */
export interface RequestContext {
  clientId: string;
  requestId: string | undefined;
  afterReply: (() => void)[];
}

/** A reply without its request_id (the bridge echoes that). */
export type Reply<E extends Operation> = Omit<ReplyOf<E>, "request_id">;

/** Handles one validated request of kind `E` and returns its reply. */
export type Handler<E extends Operation> = (
  req: ParsedRequestOf<E>,
  ctx: RequestContext,
) => Promise<Reply<E>>;

/** One handler per client request event of the protocol. */
export type HandlerTable = { [E in Operation]: Handler<E> };
