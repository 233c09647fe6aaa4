import type { z } from "zod";
import { ErrorBody, type Operation } from "./errors.ts";
import { execClientEvents, execReplyEventOf, execServerEvents } from "./exec.ts";
import { logClientEvents, logReplyEventOf, logServerEvents } from "./logs.ts";
import * as reply from "./replies.ts";
import * as req from "./requests.ts";

/** Client-to-server events and the schema of each payload. */
export const clientEvents = {
  create_container: req.CreateContainerRequest,
  start_container: req.StartContainerRequest,
  stop_container: req.StopContainerRequest,
  restart_container: req.RestartContainerRequest,
  update_container: req.UpdateContainerRequest,
  delete_container: req.DeleteContainerRequest,
  send_message: req.SendMessageRequest,
  get_container_status: req.GetContainerStatusRequest,
  list_containers: req.ListContainersRequest,
  get_activity_log: req.GetActivityLogRequest,
  ...logClientEvents,
  ...execClientEvents,
} as const satisfies Record<Operation, z.ZodType>;

/** Server-to-client events and the schema of each payload. */
export const serverEvents = {
  connected: reply.Connected,
  container_created: reply.ContainerCreated,
  container_started: reply.ContainerStarted,
  container_stopped: reply.ContainerStopped,
  container_restarted: reply.ContainerRestarted,
  container_updated: reply.ContainerUpdated,
  container_deleted: reply.ContainerDeleted,
  message_sent: reply.MessageSent,
  message_received: reply.MessageReceived,
  container_status: reply.ContainerStatus,
  container_list: reply.ContainerList,
  activity_log_history: reply.ActivityLogHistory,
  status_changed: reply.StatusChanged,
  container_health_warning: reply.HealthWarning,
  container_crashed: reply.ContainerCrashed,
  container_status_update: reply.ContainerStatusUpdate,
  activity_log: reply.ActivityLog,
  ...logServerEvents,
  ...execServerEvents,
  error: ErrorBody,
} as const;

/** The event that answers each request. */
export const replyEventOf = {
  create_container: "container_created",
  start_container: "container_started",
  stop_container: "container_stopped",
  restart_container: "container_restarted",
  update_container: "container_updated",
  delete_container: "container_deleted",
  send_message: "message_sent",
  get_container_status: "container_status",
  list_containers: "container_list",
  get_activity_log: "activity_log_history",
  ...logReplyEventOf,
  ...execReplyEventOf,
} as const satisfies Record<Operation, keyof typeof serverEvents>;

export type ClientEventName = keyof typeof clientEvents;
export type ServerEventName = keyof typeof serverEvents;
/** What a client sends (schema input: defaults and transforms not yet applied). */
export type RequestOf<E extends ClientEventName> = z.input<(typeof clientEvents)[E]>;
/** What the server handles (schema output). */
export type ParsedRequestOf<E extends ClientEventName> = z.output<(typeof clientEvents)[E]>;
export type ReplyOf<E extends ClientEventName> = z.output<
  (typeof serverEvents)[(typeof replyEventOf)[E]]
>;
export type ServerPayloadOf<E extends ServerEventName> = z.output<(typeof serverEvents)[E]>;

/**
 * The acknowledgement a request's callback receives, when the client passed one:
 * `{ok: true, data}` with the reply event's payload, or `{ok: false, error}` with the error body.
 * The reply (or `error`) event is emitted to the requesting client as well.
 */
export type Ack<E extends ClientEventName> =
  | { ok: true; data: ReplyOf<E> }
  | { ok: false; error: z.output<typeof ErrorBody> };

/** Socket.IO typing for `socket.io`'s `Server<ClientToServerEvents, ServerToClientEvents>` and the client. */
export type ClientToServerEvents = {
  [E in ClientEventName]: (payload: RequestOf<E>, ack?: (response: Ack<E>) => void) => void;
};
export type ServerToClientEvents = {
  [E in ServerEventName]: (payload: ServerPayloadOf<E>) => void;
};
