import { z } from "zod";
import { StringMap, Timestamp } from "../common.ts";
import { AgentMode } from "./agents.ts";

/** A container (or Swarm task) as the agent reports it (seed 2.3, 4.2, 6.3). */
export const ReportedContainer = z.object({
  id: z.string().min(1).max(128).optional(),
  name: z.string().min(1).max(255),
  labels: StringMap.default({}),
  status: z.string().max(64).optional(),
  image: z.string().max(512).optional(),
  service_id: z.string().max(128).optional(),
  task_id: z.string().max(128).optional(),
  node_id: z.string().max(128).optional(),
  /** Seed 6.3: the node a rescheduled task came from. */
  migration_source: z.string().max(255).optional(),
});
export type ReportedContainer = z.infer<typeof ReportedContainer>;

const EventBase = {
  /** Agent-chosen unique id: the same event delivered twice is applied once. */
  event_id: z.string().min(1).max(128).optional(),
  timestamp: Timestamp.optional(),
  mode: AgentMode.optional(),
};

export const ContainerStartEvent = z.object({
  ...EventBase,
  type: z.literal("container_start"),
  container: ReportedContainer,
});
export const ContainerStopEvent = z.object({
  ...EventBase,
  type: z.literal("container_stop"),
  container: ReportedContainer,
});

/** Seed 3.5: the connector's state. */
export const TunnelStatusEvent = z.object({
  ...EventBase,
  type: z.literal("tunnel_status"),
  tunnel_id: z.string().max(128).optional(),
  container: z.object({
    id: z.string().max(128).optional(),
    name: z.string().min(1).max(255),
    status: z.string().min(1).max(64),
    version: z.string().max(128).optional(),
    mode: AgentMode.optional(),
    service_id: z.string().max(128).optional(),
    task_id: z.string().max(128).optional(),
    node_id: z.string().max(128).optional(),
    error: z.string().max(4096).optional(),
  }),
});

export const HeartbeatEvent = z.object({ ...EventBase, type: z.literal("heartbeat") });

/** Seed 4.2: everything enabled that runs on the agent's node (under `container.containers`). */
export const StatusReportEvent = z.object({
  ...EventBase,
  type: z.literal("status_report"),
  container: z.object({ containers: z.array(ReportedContainer).max(10_000) }),
});

/** The agent's acknowledgement of a command, with its result. */
export const CommandResultEvent = z.object({
  ...EventBase,
  type: z.literal("command_result"),
  command_id: z.string().min(1).max(128),
  success: z.boolean(),
  result: z.record(z.string(), z.unknown()).optional(),
  error: z.string().max(4096).optional(),
});

/** `POST /api/v2/agents/{id}/events`. */
export const AgentEvent = z.discriminatedUnion("type", [
  ContainerStartEvent,
  ContainerStopEvent,
  TunnelStatusEvent,
  HeartbeatEvent,
  StatusReportEvent,
  CommandResultEvent,
]);
export type AgentEvent = z.infer<typeof AgentEvent>;
export type AgentEventType = AgentEvent["type"];

export const EventAccepted = z.object({
  status: z.literal("accepted"),
  /** True when this event_id had been applied before (nothing changed). */
  duplicate: z.boolean(),
  /** Labels the master could not turn into rules (the event is still applied). */
  warnings: z.array(z.object({ label: z.string(), message: z.string() })).optional(),
});
