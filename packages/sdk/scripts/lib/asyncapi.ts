import {
  ActivityType,
  ContainerMessage,
  ContainerState,
  ContainerSummary,
  CrashRecovery,
  clientEvents,
  ErrorBody,
  ErrorDetails,
  ErrorType,
  FlowMessage,
  HealthCheck,
  HealthState,
  LogLine,
  Operation,
  RequestId,
  ResourceUsage,
  RestartPolicy,
  replyEventOf,
  StatusHistoryEntry,
  serverEvents,
  Timestamp,
  ValidationIssue,
} from "@dockflow/protocol";
import { z } from "zod";
import { type JsonSchema, SCHEMA_REF_PREFIX } from "./json-schema.ts";

/**
 * Builds the AsyncAPI 3.0 document of the flow manager's Socket.IO events from the protocol's zod
 * schemas (`clientEvents`, `serverEvents`, `replyEventOf`, `ErrorBody`). Deterministic: the same
 * protocol always gives the same document, byte for byte once serialised.
 */

type ClientEvent = keyof typeof clientEvents;
type ServerEvent = keyof typeof serverEvents;

/**
 * Schemas that several payloads share get a name of their own under components.schemas; those
 * in requests are written as the client sends them (zod input), the others as the server sends
 * them (zod output: objects then forbid unknown keys, which zod strips).
 */
const SHARED_IN_REQUESTS: Record<string, z.ZodType> = {
  RequestId,
  FlowMessage,
  RestartPolicy,
  CrashRecovery,
  HealthCheck,
};
const SHARED_IN_EVENTS: Record<string, z.ZodType> = {
  RequestId,
  Timestamp,
  ContainerState,
  HealthState,
  ResourceUsage,
  ContainerSummary,
  StatusHistoryEntry,
  ContainerMessage,
  ErrorType,
  Operation,
  ValidationIssue,
  ErrorDetails,
  ActivityType,
  LogLine,
};

/** One line per event for the document (the schemas carry the structure). */
const SUMMARIES: Record<ClientEvent | ServerEvent, string> = {
  create_container: "Create a container (pulling the image when missing).",
  start_container: "Start a container.",
  stop_container: "Stop a container (SIGTERM, then SIGKILL after `timeout` seconds).",
  restart_container: "Restart a container.",
  update_container: "Replace the flow's code in a container with the content of a host folder.",
  delete_container: "Remove a container.",
  send_message:
    "Write a message to the code in a container; its reply arrives as `message_received` with `message.reply_to` = `message_id`.",
  get_container_status: "Detailed status of one container, with resource usage and history.",
  list_containers: "The containers this flow manager manages.",
  get_activity_log: "Recent activity log entries kept by the manager.",
  connected: "Sent once per connection: the server's welcome.",
  container_created: "Reply to `create_container`.",
  container_started: "Reply to `start_container`.",
  container_stopped: "Reply to `stop_container`.",
  container_restarted: "Reply to `restart_container`.",
  container_updated: "Reply to `update_container`.",
  container_deleted: "Reply to `delete_container`.",
  message_sent: "Reply to `send_message`: the message was written to the container.",
  message_received:
    "A message from the code in a container: a reply (`message.reply_to` set) or unasked.",
  container_status: "Reply to `get_container_status`.",
  container_list: "Reply to `list_containers`.",
  activity_log_history: "Reply to `get_activity_log`.",
  status_changed: "Push: a container changed state.",
  container_health_warning: "Push: a container became unhealthy or crossed a CPU/memory threshold.",
  container_crashed:
    "Push: a container exited unexpectedly (with the crash recovery plan, if any).",
  container_status_update: "Push: periodic bulk status of the containers.",
  activity_log: "Push: one activity log entry.",
  exec_start:
    "Start an exec session (default `/bin/sh`) in a running container; only this client sees and drives it. Needs FLOW_EXEC_ENABLED on the manager.",
  exec_input:
    'Write to an exec session\'s standard input: `data` is UTF-8 text, or base64 with `encoding: "base64"`.',
  exec_resize: "Resize an exec session's terminal (sessions started with `tty`).",
  exec_close:
    "End an exec session: SIGHUP, then SIGKILL after a grace period; `exec_ended` follows.",
  exec_started: "Reply to `exec_start`: the session id; output follows as `exec_output`.",
  exec_input_written: "Reply to `exec_input`: how many bytes were written.",
  exec_resized: "Reply to `exec_resize`.",
  exec_closed: "Reply to `exec_close`: the session is ending; `exec_ended` follows.",
  exec_output:
    "Push to the session's client: output of an exec session, base64-encoded, with the stream it came from.",
  exec_ended:
    "Push to the session's client: the exec process ended, with its exit code (after `exec_close`, or by itself).",
  error: "A request failed (also passed to the request's acknowledgement).",
  // Container logs.
  get_container_logs:
    "A container's recent output: the last `tail` lines (default 1000, at most 5000), optionally `since` a time (unix seconds or RFC 3339), with `timestamps`.",
  subscribe_logs:
    "Follow a container's output: the last `tail` lines (default 0, at most 5000), then `container_log` pushes until `unsubscribe_logs`, disconnection or the container's removal.",
  unsubscribe_logs: "Stop following a container's output.",
  container_logs: "Reply to `get_container_logs`.",
  logs_subscribed: "Reply to `subscribe_logs`: `container_log` pushes follow.",
  logs_unsubscribed: "Reply to `unsubscribe_logs`: no more `container_log` pushes for it.",
  container_log:
    "Push: a batch of a followed container's lines (every ~100 ms or 64 KiB); `dropped` counts lines lost just before it to a slow reader; `ended` marks the last one (the container was removed).",
};

function pascal(name: string): string {
  return name
    .split("_")
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("");
}

/** components.schemas name of each event's payload. */
export function requestSchemaName(event: string): string {
  return `${pascal(event)}Request`;
}
export function eventSchemaName(event: string): string {
  return event === "error" ? "ErrorBody" : pascal(event);
}
export function ackSchemaName(event: string): string {
  return `${pascal(event)}Ack`;
}

/** The acknowledgement a request's callback receives (protocol's `Ack<E>`), as a zod schema. */
function ackSchema(reply: z.ZodType): z.ZodType {
  return z.discriminatedUnion("ok", [
    z.object({ ok: z.literal(true), data: reply }),
    z.object({ ok: z.literal(false), error: ErrorBody }),
  ]);
}

type Registry = ReturnType<typeof z.registry<{ id: string }>>;

/**
 * Registers `schema` under `id`. One zod object may stand for several events (the protocol reuses
 * e.g. the stop request for restart); a registry holds one id per object, so repeats are cloned.
 */
function register(registry: Registry, schema: z.ZodType, id: string): void {
  registry.add(registry.has(schema) ? schema.clone() : schema, { id });
}

function convert(registry: Registry, io: "input" | "output"): Record<string, JsonSchema> {
  const { schemas } = z.toJSONSchema(registry, {
    io,
    target: "draft-7",
    unrepresentable: "throw",
    uri: (id) => `${SCHEMA_REF_PREFIX}${id}`,
  }) as { schemas: Record<string, JsonSchema> };
  const out: Record<string, JsonSchema> = {};
  for (const [id, schema] of Object.entries(schemas)) {
    const { $schema: _schema, $id: _id, ...rest } = schema;
    out[id] = stripNonStandard(rest) as JsonSchema;
  }
  return out;
}

/** zod writes a few `format`s no JSON Schema validator knows (e.g. `starts_with`); drop them. */
const STANDARD_FORMATS = new Set(["date-time", "date", "time", "email", "uri", "uuid", "ipv4"]);
function stripNonStandard(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripNonStandard);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (key === "format" && typeof inner === "string" && !STANDARD_FORMATS.has(inner)) continue;
    out[key] = stripNonStandard(inner);
  }
  return out;
}

/** All payload schemas: requests as the client writes them (zod input), the rest as sent (output). */
export function buildSchemas(): Record<string, JsonSchema> {
  const input = z.registry<{ id: string }>();
  const output = z.registry<{ id: string }>();
  for (const [name, schema] of Object.entries(SHARED_IN_REQUESTS)) register(input, schema, name);
  for (const [name, schema] of Object.entries(SHARED_IN_EVENTS)) register(output, schema, name);
  for (const [event, schema] of Object.entries(clientEvents)) {
    register(input, schema, requestSchemaName(event));
  }
  for (const [event, schema] of Object.entries(serverEvents)) {
    register(output, schema, eventSchemaName(event));
  }
  for (const [event, reply] of Object.entries(replyEventOf)) {
    register(output, ackSchema(serverEvents[reply]), ackSchemaName(event));
  }

  const merged: Record<string, JsonSchema> = {};
  const fromInput = convert(input, "input");
  const fromOutput = convert(output, "output");
  for (const [id, schema] of [...Object.entries(fromInput), ...Object.entries(fromOutput)]) {
    const seen = merged[id];
    if (seen !== undefined && JSON.stringify(seen) !== JSON.stringify(schema)) {
      // A shared schema whose input and output differ (defaults, transforms) needs two names.
      throw new Error(`schema ${id} differs between requests (input) and replies (output)`);
    }
    merged[id] = schema;
  }
  return Object.fromEntries(Object.entries(merged).sort(([a], [b]) => a.localeCompare(b)));
}

/** Push events: sent to clients without a request (every other server event answers one). */
export function pushEvents(): ServerEvent[] {
  const replies = new Set<string>(Object.values(replyEventOf));
  return (Object.keys(serverEvents) as ServerEvent[]).filter((e) => !replies.has(e));
}

export interface AsyncApiInfo {
  /** The protocol's version, written as info.version. */
  version: string;
}

const ref = ($ref: string) => ({ $ref });

export function buildAsyncApi({ version }: AsyncApiInfo): Record<string, unknown> {
  const schemas = buildSchemas();
  const push = new Set<string>(pushEvents());
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};

  const message = (name: string, schema: string) => ({
    name,
    title: name,
    summary: SUMMARIES[name as ClientEvent | ServerEvent],
    contentType: "application/json",
    payload: ref(`${SCHEMA_REF_PREFIX}${schema}`),
  });
  const channel = (event: string) => ({
    address: event,
    title: event,
    summary: SUMMARIES[event as ClientEvent | ServerEvent],
    messages: { [event]: ref(`#/components/messages/${event}`) },
  });
  const inChannel = (event: string) => ref(`#/channels/${event}/messages/${event}`);

  for (const event of Object.keys(clientEvents) as ClientEvent[]) {
    const reply = replyEventOf[event];
    messages[event] = message(event, requestSchemaName(event));
    messages[`${event}_ack`] = {
      ...message(`${event}_ack`, ackSchemaName(event)),
      summary: `Acknowledgement of \`${event}\`: {ok: true, data: ${reply} payload} or {ok: false, error: ErrorBody}.`,
    };
    channels[event] = channel(event);
    operations[event] = {
      action: "send",
      title: event,
      summary: SUMMARIES[event],
      description: `Emit \`${event}\` with an acknowledgement callback. The server answers with \`${reply}\` (and the callback receives \`{ok: true, data}\`), or with \`error\` (and \`{ok: false, error}\`). \`request_id\`, when given, is echoed in the reply and in \`error.details.request_id\`.`,
      channel: ref(`#/channels/${event}`),
      messages: [inChannel(event)],
      reply: { channel: ref(`#/channels/${reply}`), messages: [inChannel(reply)] },
      tags: [{ name: "request" }],
      "x-socketio-ack": ref(`#/components/messages/${event}_ack`),
    };
  }
  for (const event of Object.keys(serverEvents) as ServerEvent[]) {
    messages[event] = message(event, eventSchemaName(event));
    channels[event] = channel(event);
    operations[`on_${event}`] = {
      action: "receive",
      title: event,
      summary: SUMMARIES[event],
      channel: ref(`#/channels/${event}`),
      messages: [inChannel(event)],
      tags: [{ name: push.has(event) ? "push" : "reply" }],
    };
  }

  return {
    asyncapi: "3.0.0",
    info: {
      title: "dockflow flow manager",
      version,
      description:
        "Socket.IO events of the dockflow flow manager. Every request takes an acknowledgement callback (`x-socketio-ack`) answered with `{ok: true, data}` (the reply event's payload) or `{ok: false, error}` (the error body); the reply or `error` event is also emitted to the requesting client. Push events go to connected clients without a request. Generated from @dockflow/protocol: do not edit.",
      tags: [
        { name: "request", description: "Client to server, answered by a reply event." },
        { name: "reply", description: "Server to the requesting client." },
        { name: "push", description: "Server to clients, unasked." },
      ],
    },
    defaultContentType: "application/json",
    servers: {
      local: {
        host: "localhost:8000",
        protocol: "ws",
        pathname: "/socket.io/",
        description:
          "Socket.IO v4 (Engine.IO 4). When the manager has a token (FLOW_MANAGER_TOKEN), pass it in the handshake: `io(url, {auth: {token}})`.",
      },
    },
    channels,
    operations,
    components: { schemas, messages },
  };
}
