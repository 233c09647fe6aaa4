import { z } from "zod";
import { RequestId, Timestamp } from "../common.ts";
import { ContainerRef } from "./requests.ts";

/**
 * Container logs: what the code in a container prints on stdout and stderr, read from Docker
 * (`get_container_logs`) or followed live (`subscribe_logs`, then `container_log` pushes).
 */

/** Most lines `tail` may ask for (both requests). */
export const MAX_LOG_TAIL = 5000;
/** Lines `get_container_logs` returns when `tail` is not given. */
export const DEFAULT_LOG_TAIL = 1000;
/** A line longer than this many bytes (UTF-8) is sent as several lines, all but the last `partial`. */
export const MAX_LOG_LINE_BYTES = 16 * 1024;

/** The names of the log requests, for `Operation` (`details.operation` of their errors). */
export const LOG_OPERATIONS = ["get_container_logs", "subscribe_logs", "unsubscribe_logs"] as const;

export const LogStream = z.enum(["stdout", "stderr"]);

/** One line a container printed, without its line break (a trailing `\r` is removed too). */
export const LogLine = z.object({
  stream: LogStream,
  text: z.string(),
  /** When Docker received it (RFC 3339, nanoseconds, as Docker records it). */
  time: Timestamp.optional(),
  /** Set on each piece of a line longer than MAX_LOG_LINE_BYTES but the last. */
  partial: z.literal(true).optional(),
});
export type LogLine = z.infer<typeof LogLine>;

const Tail = z.number().int().min(0).max(MAX_LOG_TAIL);

/** Unix seconds (fractions allowed) or an RFC 3339 time with an offset. */
export const LogSince = z.union([
  z.number().min(0).max(253_402_300_799, "since is in unix seconds"),
  z.iso.datetime({ offset: true, error: "since is unix seconds or an RFC 3339 time" }),
]);

const ByContainer = { request_id: RequestId.optional(), container_id: ContainerRef };

export const GetContainerLogsRequest = z.strictObject({
  ...ByContainer,
  /** The last `tail` lines (default DEFAULT_LOG_TAIL, at most MAX_LOG_TAIL). */
  tail: Tail.optional(),
  /** Only lines from this time on. */
  since: LogSince.optional(),
  /** Give each line its `time` (default false). */
  timestamps: z.boolean().optional(),
});

export const SubscribeLogsRequest = z.strictObject({
  ...ByContainer,
  /** Lines printed before the subscription to send first (default 0, at most MAX_LOG_TAIL). */
  tail: Tail.optional(),
});

export const UnsubscribeLogsRequest = z.strictObject(ByContainer);

const Echo = { request_id: RequestId.optional() };

export const ContainerLogs = z.object({
  ...Echo,
  container_id: z.string(),
  lines: z.array(LogLine),
});

export const LogsSubscribed = z.object({ ...Echo, container_id: z.string() });
export const LogsUnsubscribed = z.object({ ...Echo, container_id: z.string() });

/** A batch of followed lines, in the order the container printed them (per stream and between). */
export const ContainerLog = z.object({
  container_id: z.string(),
  lines: z.array(LogLine),
  /** Lines lost just before this batch because the client read too slowly. */
  dropped: z.number().int().min(1).optional(),
  /** The container was removed: no more pushes for this subscription. */
  ended: z.literal(true).optional(),
});
export type ContainerLog = z.infer<typeof ContainerLog>;

/** The log requests' schemas, and the reply event of each (merged into the event tables). */
export const logClientEvents = {
  get_container_logs: GetContainerLogsRequest,
  subscribe_logs: SubscribeLogsRequest,
  unsubscribe_logs: UnsubscribeLogsRequest,
} as const;
export const logServerEvents = {
  container_logs: ContainerLogs,
  logs_subscribed: LogsSubscribed,
  logs_unsubscribed: LogsUnsubscribed,
  container_log: ContainerLog,
} as const;
export const logReplyEventOf = {
  get_container_logs: "container_logs",
  subscribe_logs: "logs_subscribed",
  unsubscribe_logs: "logs_unsubscribed",
} as const;
