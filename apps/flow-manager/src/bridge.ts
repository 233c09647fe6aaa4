import type { Server as HttpServer } from "node:http";
import {
  type ClientEventName,
  type ClientToServerEvents,
  clientEvents,
  issuesOf,
  type Operation,
  RequestId,
  replyEventOf,
  type ServerToClientEvents,
} from "@dockflow/protocol";
import type { Logger } from "pino";
import { Server, type Socket } from "socket.io";
import type { ActivityLog } from "./activity-log.ts";
import { tokenAuth } from "./auth.ts";
import type { ClientRegistry } from "./clients.ts";
import { errorBody, FlowError } from "./errors.ts";
import { handshakeGuard } from "./handshake-guard.ts";
import type { OriginPolicy } from "./origin-guard.ts";
import type { Operations, RequestContext } from "./service.ts";

export interface BridgeOptions {
  token: string | undefined;
  maxPayloadBytes: number;
  serverVersion: string;
  origins: OriginPolicy;
}

type AnyAck = (response: unknown) => void;

/**
 * The Socket.IO face of the service: validates every request with the protocol schemas, answers
 * the requesting client only (reply event, and the acknowledgement callback when given), echoes
 * request_id, and turns every failure into an `error` event without ever taking the server down.
 */
export function attachBridge(
  http: HttpServer,
  handlers: Operations,
  clients: ClientRegistry,
  activity: ActivityLog,
  options: BridgeOptions,
  log: Logger,
): Server<ClientToServerEvents, ServerToClientEvents> {
  const io = new Server<ClientToServerEvents, ServerToClientEvents>(http, {
    serveClient: false,
    ...handshakeGuard(options.origins, log),
    // Larger than the payload limit, so an oversized request gets a validation_error rather
    // than a dropped connection; beyond this, Socket.IO closes the connection.
    maxHttpBufferSize: Math.max(options.maxPayloadBytes * 2, options.maxPayloadBytes + 1024 * 1024),
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
      socket.emit("error", body);
      ack?.({ ok: false, error: body });
    });
    socket.on("disconnect", (reason) => {
      clients.remove(socket.id);
      log.info({ client_id: socket.id, reason }, "client disconnected");
    });
  });

  async function handle(
    socket: Socket<ClientToServerEvents, ServerToClientEvents>,
    op: Operation,
    args: unknown[],
  ): Promise<void> {
    const last = args.at(-1);
    const ack = typeof last === "function" ? (last as AnyAck) : undefined;
    const raw = args.length > 0 && typeof args[0] !== "function" ? args[0] : undefined;
    const requestId = requestIdOf(raw);
    const ctx: RequestContext = { clientId: socket.id, requestId, afterReply: [] };
    try {
      const parsed = validate(op, raw === undefined ? {} : raw, options.maxPayloadBytes);
      // biome-ignore lint/suspicious/noExplicitAny: each op's handler takes its own parsed type
      const handler = handlers[op] as (req: any, ctx: RequestContext) => Promise<object>;
      const result = await handler(parsed, ctx);
      const payload = { ...(requestId ? { request_id: requestId } : {}), ...result };
      // biome-ignore lint/suspicious/noExplicitAny: the reply event matches the op by construction
      (socket.emit as (e: string, p: any) => void)(replyEventOf[op], payload);
      ack?.({ ok: true, data: payload });
      for (const fn of ctx.afterReply) fn();
    } catch (error) {
      if (!(error instanceof FlowError)) {
        log.error(
          { err: error, operation: op, client_id: socket.id },
          "operation failed unexpectedly",
        );
      }
      const body = errorBody(error, op, requestId);
      socket.emit("error", body);
      ack?.({ ok: false, error: body });
      for (const fn of ctx.afterReply) fn();
      activity.record({
        type: "error",
        message: `${op} failed: ${body.error_type}: ${body.message}`,
        containerId:
          typeof body.details.container_id === "string" ? body.details.container_id : null,
        clientId: socket.id,
        details: { operation: op, error_type: body.error_type },
        audience: [socket.id],
      });
    }
  }

  return io;
}

function requestIdOf(raw: unknown): string | undefined {
  if (raw === null || typeof raw !== "object") return undefined;
  const candidate = (raw as { request_id?: unknown }).request_id;
  return RequestId.safeParse(candidate).success ? (candidate as string) : undefined;
}

/** Size check then schema check; both fail as validation_error with the issues listed. */
function validate(op: Operation, raw: unknown, maxBytes: number): unknown {
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
  return result.data;
}
