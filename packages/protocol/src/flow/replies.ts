import { z } from "zod";
import { RequestId, Timestamp } from "../common.ts";
import { FlowMessage } from "./requests.ts";

/** Docker's container states. */
export const ContainerState = z.enum([
  "created",
  "running",
  "paused",
  "restarting",
  "removing",
  "exited",
  "dead",
]);
export type ContainerState = z.infer<typeof ContainerState>;

export const HealthState = z.enum(["healthy", "unhealthy", "starting", "none"]);

const Echo = { request_id: RequestId.optional() };

export const Connected = z.object({
  message: z.string(),
  client_id: z.string(),
  server_version: z.string(),
});

const ContainerReply = z.object({
  ...Echo,
  container_id: z.string(),
  name: z.string(),
  status: ContainerState,
});

export const ContainerCreated = ContainerReply.extend({ image: z.string() });
export const ContainerStarted = ContainerReply;
export const ContainerStopped = ContainerReply.extend({ exit_code: z.number().int().nullable() });
export const ContainerRestarted = ContainerReply;
export const ContainerUpdated = ContainerReply.extend({
  code_path: z.string(),
  /** How the flow picked the new code up. */
  applied_by: z.enum(["reload", "restart"]),
});
export const ContainerDeleted = z.object({ ...Echo, container_id: z.string(), name: z.string() });

export const MessageSent = z.object({
  ...Echo,
  container_id: z.string(),
  /** Id of the envelope written to the container; its reply carries it as `reply_to`. */
  message_id: z.string(),
});

/** A message from the code in a container: a reply (`reply_to` set) or unasked. */
export const ContainerMessage = FlowMessage.extend({ reply_to: z.string().optional() });

export const MessageReceived = z.object({
  ...Echo,
  container_id: z.string(),
  message: ContainerMessage,
  timestamp: Timestamp,
});

export const StatusHistoryEntry = z.object({ status: ContainerState, timestamp: Timestamp });

/** Computed as `docker stats` computes it, from the latest streamed sample. */
export const ResourceUsage = z.object({
  cpu_percent: z.number(),
  memory_percent: z.number(),
  memory_usage_bytes: z.number(),
  memory_limit_bytes: z.number(),
  network_rx_bytes: z.number(),
  network_tx_bytes: z.number(),
  block_read_bytes: z.number(),
  block_write_bytes: z.number(),
  pids: z.number(),
  /** When the sample was taken; null before the first sample. */
  sampled_at: Timestamp.nullable(),
});
export type ResourceUsage = z.infer<typeof ResourceUsage>;

export const ContainerSummary = z.object({
  id: z.string(),
  name: z.string(),
  image: z.string(),
  status: ContainerState,
  health: HealthState,
  created_at: Timestamp,
});

export const ContainerStatus = z.object({
  ...Echo,
  container_id: z.string(),
  name: z.string(),
  image: z.string(),
  status: ContainerState,
  health: HealthState,
  resource_usage: ResourceUsage,
  created_at: Timestamp,
  started_at: Timestamp.nullable(),
  finished_at: Timestamp.nullable(),
  uptime_seconds: z.number(),
  restart_count: z.number().int(),
  exit_code: z.number().int().nullable(),
  oom_killed: z.boolean(),
  status_history: z.array(StatusHistoryEntry),
});
export type ContainerStatus = z.infer<typeof ContainerStatus>;

export const ContainerList = z.object({ ...Echo, containers: z.array(ContainerSummary) });

export const StatusChanged = z.object({
  container_id: z.string(),
  name: z.string(),
  old_status: ContainerState.nullable(),
  new_status: ContainerState,
  timestamp: Timestamp,
});

export const HealthWarning = z.object({
  container_id: z.string(),
  name: z.string(),
  warning_type: z.enum(["unhealthy", "cpu_high", "memory_high"]),
  message: z.string(),
  /** The measured value (percent) for cpu_high / memory_high. */
  value: z.number().optional(),
  threshold: z.number().optional(),
  timestamp: Timestamp,
});

export const ContainerCrashed = z.object({
  container_id: z.string(),
  name: z.string(),
  exit_code: z.number().int().nullable(),
  oom_killed: z.boolean(),
  error: z.string().nullable(),
  timestamp: Timestamp,
  /** Set when crash recovery will restart it. */
  recovery: z
    .object({
      attempt: z.number().int(),
      max_restarts: z.number().int(),
      delay_ms: z.number().int(),
    })
    .nullable(),
});

export const ContainerStatusUpdate = z.object({
  /** One bulk event for all of a client's containers. */
  containers: z.array(
    ContainerSummary.extend({
      resource_usage: ResourceUsage,
      uptime_seconds: z.number(),
      restart_count: z.number().int(),
    }),
  ),
  timestamp: Timestamp,
});

export const ActivityType = z.enum([
  "container_created",
  "container_started",
  "container_stopped",
  "container_restarted",
  "container_updated",
  "container_deleted",
  "message_sent",
  "message_received",
  "image_pull",
  "status_changed",
  "container_crashed",
  "crash_recovery",
  "health_warning",
  "exec_started",
  "exec_ended",
  "error",
]);

export const ActivityLog = z.object({
  activity_type: ActivityType,
  message: z.string(),
  container_id: z.string().nullable(),
  /** The client that caused it, when a client did. */
  client_id: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
  timestamp: Timestamp,
});
export type ActivityLog = z.infer<typeof ActivityLog>;

export const ActivityLogHistory = z.object({ ...Echo, entries: z.array(ActivityLog) });
