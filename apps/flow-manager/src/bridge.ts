import type { Server as HttpServer } from "node:http";
import {
  type ClientEventName,
  type ClientToServerEvents,
  clientEvents,
  issuesOf,
  type Operation,
  type ParsedRequestOf,
  type ReplyOf,
  RequestId,
  replyEventOf,
  type ServerToClientEvents,
} from "@dockflow/protocol";
import type { Logger } from "pino";
import { Server, type Socket } from "socket.io";
import { tokenAuth } from "./auth.ts";
import type { ClientRegistry } from "./clients.ts";
import { errorBody, FlowError } from "./errors.ts";
import type { HandlerTable, RequestContext } from "./handlers.ts";
import { handshakeGuard } from "./handshake-guard.ts";
import type { Notifier } from "./notifier.ts";
import type { OriginPolicy } from "./origin-guard.ts";

export interface BridgeOptions {
  http: HttpServer;
  handlers: HandlerTable;
  clients: ClientRegistry;
  notifier: Notifier;
  token: string | undefined;
  maxPayloadBytes: number;
  serverVersion: string;
  /** Which handshakes are accepted (Origin and Host). */
  origins: OriginPolicy;
  log: Logger;
}

type AnyAck = (response: unknown) => void;

/**
 * The Socket.IO face of the manager: validates every request with the protocol schemas, hands it
 * to its handler, answers the requesting client only (reply event, and the acknowledgement
 * callback when given), echoes request_id, and turns every failure into an `error` event without
 * ever taking the server down.
 */
export function attachBridge(
  options: BridgeOptions,
): Server<ClientToServerEvents, ServerToClientEvents> {
  const { clients, log, maxPayloadBytes } = options;
  const io = new Server<ClientToServerEvents, ServerToClientEvents>(options.http, {
    serveClient: false,
    ...handshakeGuard(options.origins, log),
    // Larger than the payload limit, so an oversized request gets a validation_error rather
    // than a dropped connection; beyond this, Socket.IO closes the connection.
    maxHttpBufferSize: Math.max(maxPayloadBytes * 2, maxPayloadBytes + 1024 * 1024),
  });
  io.use(tokenAuth(options.token));
  const operations = Object.keys(clientEvents) as ClientEventName[];

  io.on("connection", (socket) => {
    clients.add(socket);
    log.info({ client_id: socket.id, address: socket.handshake.address }, "client connected");
    socket.emit("connected", {
      message: "Connected to dockflow Flow Manager",
      client_id: socket.id,
      server_version: options.serverVersion,
    });
    for (const op of operations) {
      socket.on(op, (...args: unknown[]) => {
        void handle(socket, op, args);
      });
    }
    socket.onAny((event: string, ...args: unknown[]) => {
      if ((operations as string[]).includes(event)) return;
      const ack = typeof args.at(-1) === "function" ? (args.at(-1) as AnyAck) : undefined;
      const body = errorBody(
        new FlowError("validation_error", `unknown event "${String(event).slice(0, 64)}"`, {
          event: String(event).slice(0, 64),
          known_events: operations,
        }),
        undefined,
        requestIdOf(args[0]),
      );
      options.notifier.unknownEvent(socket.id, body);
      ack?.({ ok: false, error: body });
    });
    socket.on("disconnect", (reason) => {
      clients.remove(socket.id);
      log.info({ client_id: socket.id, reason }, "client disconnected");
    });
  });

  async function handle<E extends Operation>(
    socket: Socket<ClientToServerEvents, ServerToClientEvents>,
    op: E,
    args: unknown[],
  ): Promise<void> {
    const last = args.at(-1);
    const ack = typeof last === "function" ? (last as AnyAck) : undefined;
    const raw = args.length > 0 && typeof args[0] !== "function" ? args[0] : undefined;
    const requestId = requestIdOf(raw);
    const ctx: RequestContext = { clientId: socket.id, requestId, afterReply: [] };
    try {
      const request = validate(op, raw === undefined ? {} : raw, maxPayloadBytes);
      const handler: HandlerTable[E] = options.handlers[op];
      const result = await handler(request, ctx);
      const payload = { ...(requestId ? { request_id: requestId } : {}), ...result } as ReplyOf<E>;
      clients.emitTo(socket.id, replyEventOf[op], payload);
      ack?.({ ok: true, data: payload });
    } catch (error) {
      if (!(error instanceof FlowError)) {
        log.error(
          { err: error, operation: op, client_id: socket.id },
          "operation failed unexpectedly",
        );
      }
      const body = errorBody(error, op, requestId);
      options.notifier.requestFailed(socket.id, op, body);
      ack?.({ ok: false, error: body });
    }
    for (const fn of ctx.afterReply) fn();
  }

  return io;
}

function requestIdOf(raw: unknown): string | undefined {
  if (raw === null || typeof raw !== "object") return undefined;
  const candidate = (raw as { request_id?: unknown }).request_id;
  return RequestId.safeParse(candidate).success ? (candidate as string) : undefined;
}

/** Size check then schema check; both fail as validation_error with the issues listed. */
function validate<E extends Operation>(op: E, raw: unknown, maxBytes: number): ParsedRequestOf<E> {
  let size: number;
  try {
    size = Buffer.byteLength(JSON.stringify(raw) ?? "", "utf8");
  } catch {
    throw new FlowError("validation_error", `${op}: payload is not JSON-serialisable`);
  }
  if (size > maxBytes) {
    throw new FlowError(
      "validation_error",
      `${op}: payload of ${size} bytes exceeds the limit of ${maxBytes} bytes`,
      { issues: [{ path: "(root)", message: `payload larger than ${maxBytes} bytes` }], size },
    );
  }
  const result = clientEvents[op].safeParse(raw);
  if (!result.success) {
    const issues = issuesOf(result.error);
    throw new FlowError(
      "validation_error",
      `invalid ${op} request: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`.slice(
        0,
        2000,
      ),
      { issues },
    );
  }
  // clientEvents[op] parses to ParsedRequestOf<op> by definition; TypeScript widens the generic
  // index to the union of every request schema, so it is narrowed back here.
  return result.data as ParsedRequestOf<E>;
}
