import { randomBytes } from "node:crypto";
import type { ContainerEnvelope } from "@dockflow/protocol";
import type { ClientRegistry } from "./clients.ts";
import type { ConnectionPool } from "./connections.ts";
import { errorBody, FlowError } from "./errors.ts";
import type { Handler } from "./handlers.ts";
import type { ManagedContainers } from "./managed-containers.ts";
import type { FlowMetrics } from "./metrics.ts";
import type { Notifier } from "./notifier.ts";
import type { TrackedContainer } from "./status-store.ts";

export interface MessagingOptions {
  containers: ManagedContainers;
  pool: ConnectionPool;
  clients: ClientRegistry;
  notifier: Notifier;
  /** FLOW_MESSAGE_TIMEOUT_MS: a send_message without timeout_ms waits this long for its reply. */
  messageTimeoutMs: number;
  /** FLOW_CONNECT_TIMEOUT_MS: how long a message waits for a running container's socket. */
  connectTimeoutMs: number;
  /** Counts relayed messages and times each from send to the container's final reply. */
  metrics: Pick<FlowMetrics, "messagesRelayed" | "relayDuration">;
}

/** Messages to flow containers over their sockets: send_message for clients, `ask` for the manager. */
export class Messaging {
  private messageCounter = 0;
  private readonly messagePrefix = randomBytes(4).toString("hex");

  constructor(private readonly options: MessagingOptions) {}

  /**
   * Relays a client's message. The reply (message_sent) goes out once the message is written;
   * whatever the container answers follows as message_received, after message_sent.
   */
  send: Handler<"send_message"> = async (req, ctx) => {
    const { containers, pool, clients, notifier, metrics } = this.options;
    const c = await containers.find(req.container_id);
    clients.noteOwner(ctx.clientId, c.id);
    if (!c.socketDir) {
      throw new FlowError("socket_connection_error", `container ${c.name} has no flow socket`, {
        container_id: c.id,
      });
    }
    const messageId = this.nextId();
    const conn = pool.get(c.id, c.socketDir);
    const running = c.state === "running";
    if (running) conn.setActive(true);
    // Until message_sent is out, replies wait here so the client sees them in order.
    let replied = false;
    const queued: (() => void)[] = [];
    const later = (fn: () => void) => (replied ? fn() : queued.push(fn));
    ctx.afterReply.push(() => {
      replied = true;
      for (const fn of queued.splice(0)) fn();
    });
    // Observed at the final reply (result or error); a request that gets none is not timed.
    const timeReply = metrics.relayDuration.startTimer();
    const relayed = {
      container: c,
      clientId: ctx.clientId,
      requestId: ctx.requestId,
      messageId,
    };
    await conn.request(
      { id: messageId, command: req.message.command, data: req.message.data },
      req.timeout_ms ?? this.options.messageTimeoutMs,
      {
        onMessage: (env, final) => {
          if (final) timeReply();
          later(() => notifier.messageReceived(relayed, env));
        },
        onFailure: (error) =>
          later(() => {
            // One error may be shared by every request pending on a lost connection: copy it.
            const own = new FlowError(error.errorType, error.message, {
              ...error.details,
              container_id: c.id,
              message_id: messageId,
            });
            notifier.messageFailed(relayed, errorBody(own, "send_message", ctx.requestId));
          }),
      },
      running ? this.options.connectTimeoutMs : 0,
    );
    metrics.messagesRelayed.inc();
    notifier.messageSent(relayed, req.message.command);
    return { container_id: c.id, message_id: messageId };
  };

  /** Sends a command and waits for its final reply; any failure comes back as an `error` envelope. */
  ask(
    c: TrackedContainer,
    command: string,
    data: unknown,
    timeoutMs: number,
  ): Promise<ContainerEnvelope> {
    if (!c.socketDir) {
      return Promise.resolve({ command: "error", data: { message: "no flow socket" } });
    }
    const conn = this.options.pool.get(c.id, c.socketDir);
    const id = this.nextId();
    return new Promise<ContainerEnvelope>((resolve) => {
      const fail = (error: Error) =>
        resolve({ command: "error", data: { message: error.message } });
      conn
        .request(
          { id, command, data },
          timeoutMs,
          {
            onMessage: (env, final) => {
              if (final) resolve(env);
            },
            onFailure: fail,
          },
          this.options.connectTimeoutMs,
        )
        .catch(fail);
    });
  }

  private nextId(): string {
    return `${this.messagePrefix}-${++this.messageCounter}`;
  }
}
