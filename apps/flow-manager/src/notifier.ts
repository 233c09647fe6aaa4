import type { ContainerEnvelope, ErrorBody, Operation, ServerPayloadOf } from "@dockflow/protocol";
import type { ActivityLog, ActivityType } from "./activity-log.ts";
import type { ClientRegistry } from "./clients.ts";
import type { RecoveryPlan } from "./crash-recovery.ts";
import type { PullProgress } from "./docker.ts";
import type { FlowMetrics } from "./metrics.ts";
import type { TrackedContainer } from "./status-store.ts";
import type { FlowWebhooks } from "./webhooks/flow-webhooks.ts";

export interface NotifierOptions {
  clients: ClientRegistry;
  activity: ActivityLog;
  /** FLOW_LIVE_MESSAGE_ACTIVITY: also push message traffic live as `activity_log`. */
  liveMessageActivity: boolean;
  /** FLOW_WEBHOOKS: crashes, used-up restart limits and unhealthy containers. */
  webhooks: Pick<FlowWebhooks, "notify">;
  /** Counts errors sent, crashes and automatic restarts. */
  metrics: FlowMetrics;
}

export type LifecycleActivity = Extract<
  ActivityType,
  | "container_created"
  | "container_started"
  | "container_stopped"
  | "container_restarted"
  | "container_deleted"
  | "container_updated"
>;

export type HealthWarning = Pick<
  ServerPayloadOf<"container_health_warning">,
  "warning_type" | "message" | "value" | "threshold"
>;

/** A message a container sent, as the relay passes it on. */
export interface RelayedMessage {
  container: TrackedContainer;
  clientId: string;
  requestId: string | undefined;
  messageId: string;
}

/**
 * Everything clients are told and the audit trail records, in one place: each method pushes
 * the event (when there is one) and records the matching activity entry.
 */
export class Notifier {
  constructor(private readonly options: NotifierOptions) {}

  private get clients(): ClientRegistry {
    return this.options.clients;
  }

  private get activity(): ActivityLog {
    return this.options.activity;
  }

  /** A lifecycle operation a client asked for (its reply is the push). */
  lifecycle(
    type: LifecycleActivity,
    message: string,
    containerId: string,
    clientId: string,
    details: Record<string, unknown> = {},
  ): void {
    this.activity.record({ type, message, containerId, clientId, details });
  }

  statusChanged(c: TrackedContainer, previous: TrackedContainer["state"] | null): void {
    this.clients.broadcast("status_changed", {
      container_id: c.id,
      name: c.name,
      old_status: previous,
      new_status: c.state,
      timestamp: new Date().toISOString(),
    });
    this.activity.record({
      type: "status_changed",
      message: `container ${c.name}: ${previous ?? "new"} -> ${c.state}`,
      containerId: c.id,
      details: { old_status: previous, new_status: c.state },
    });
  }

  /** Removed from Docker (by anyone): recorded, not pushed (status_changed covered its stop). */
  removed(c: TrackedContainer): void {
    this.activity.record({
      type: "status_changed",
      message: `container ${c.name} was removed`,
      containerId: c.id,
      details: { removed: true },
    });
  }

  crashed(c: TrackedContainer, exitCode: number | null, plan: RecoveryPlan | null): void {
    this.options.metrics.crashes.inc();
    const crash = {
      container_id: c.id,
      name: c.name,
      exit_code: exitCode,
      oom_killed: c.oomKilled,
      error: c.error ?? (c.oomKilled ? "killed by the kernel: out of memory" : null),
      timestamp: new Date().toISOString(),
      recovery: plan,
    };
    this.clients.broadcast("container_crashed", crash);
    this.options.webhooks.notify("container_crashed", crash);
    this.activity.record({
      type: "container_crashed",
      message: `container ${c.name} crashed (exit code ${exitCode}${c.oomKilled ? ", OOM killed" : ""})`,
      containerId: c.id,
      details: { exit_code: exitCode, oom_killed: c.oomKilled, recovery: plan },
    });
    if (plan) {
      this.activity.record({
        type: "crash_recovery",
        message: `restarting ${c.name} in ${plan.delay_ms} ms (attempt ${plan.attempt} of ${plan.max_restarts})`,
        containerId: c.id,
        details: { ...plan },
      });
    }
  }

  /** A crash after crash recovery used all its restarts: the container is left stopped. */
  restartLimitReached(c: TrackedContainer, exitCode: number | null, maxRestarts: number): void {
    this.activity.record({
      type: "crash_recovery",
      message: `gave up restarting ${c.name} after ${maxRestarts} automatic restarts`,
      containerId: c.id,
      details: { exit_code: exitCode, max_restarts: maxRestarts, gave_up: true },
    });
    this.options.webhooks.notify("restart_limit_reached", {
      container_id: c.id,
      name: c.name,
      exit_code: exitCode,
      max_restarts: maxRestarts,
    });
  }

  recovered(containerId: string, attempt: number): void {
    this.options.metrics.recoveryRestarts.inc();
    this.activity.record({
      type: "crash_recovery",
      message: `restarted crashed container (attempt ${attempt})`,
      containerId,
      details: { attempt },
    });
  }

  healthWarning(c: TrackedContainer, warning: HealthWarning): void {
    const { warning_type: type, message, value, threshold } = warning;
    this.clients.broadcast("container_health_warning", {
      container_id: c.id,
      name: c.name,
      warning_type: type,
      message,
      ...(value !== undefined ? { value } : {}),
      ...(threshold !== undefined ? { threshold } : {}),
      timestamp: new Date().toISOString(),
    });
    this.activity.record({
      type: "health_warning",
      message: `${c.name}: ${message}`,
      containerId: c.id,
      details: { warning_type: type, value, threshold },
    });
    if (type === "unhealthy") {
      this.options.webhooks.notify("container_unhealthy", {
        container_id: c.id,
        name: c.name,
        message,
      });
    }
  }

  imagePull(image: string, clientId: string, progress: PullProgress | "started"): void {
    const started = progress === "started";
    this.activity.record({
      type: "image_pull",
      message: started
        ? `pulling image ${image}`
        : `${image}: ${progress.status ?? "progress"}${progress.progress ? ` ${progress.progress}` : ""}`,
      clientId,
      details: started
        ? { image, status: "started" }
        : { image, status: progress.status, layer: progress.id, progress: progress.progress },
    });
  }

  messageSent(m: RelayedMessage, command: string): void {
    this.activity.record({
      type: "message_sent",
      message: `${command} to ${m.container.name}`,
      containerId: m.container.id,
      clientId: m.clientId,
      details: { message_id: m.messageId, command },
      audience: this.messageAudience([m.clientId]),
    });
  }

  /** A reply (or progress) from the container to the client that asked. */
  messageReceived(m: RelayedMessage, envelope: ContainerEnvelope): void {
    const { container: c, clientId, requestId } = m;
    this.clients.emitTo(clientId, "message_received", {
      ...(requestId ? { request_id: requestId } : {}),
      container_id: c.id,
      message: { command: envelope.command, data: envelope.data, reply_to: envelope.reply_to },
      timestamp: new Date().toISOString(),
    });
    this.activity.record({
      type: "message_received",
      message: `${envelope.command} from ${c.name}`,
      containerId: c.id,
      clientId,
      details: { message_id: m.messageId, command: envelope.command },
      audience: this.messageAudience([clientId]),
    });
  }

  /** A message the container sent on its own: to every client that created or messaged it. */
  unaskedMessage(containerId: string, envelope: ContainerEnvelope): void {
    const timestamp = new Date().toISOString();
    const owners = this.clients.ownersOf(containerId);
    for (const clientId of owners) {
      this.clients.emitTo(clientId, "message_received", {
        container_id: containerId,
        message: { command: envelope.command, data: envelope.data },
        timestamp,
      });
    }
    this.activity.record({
      type: "message_received",
      message: `unasked ${envelope.command} from ${containerId.slice(0, 12)}`,
      containerId,
      details: { command: envelope.command, unasked: true },
      audience: this.messageAudience(owners),
    });
  }

  /** A relayed message that failed after its message_sent (timeout, connection lost). */
  messageFailed(m: RelayedMessage, body: ErrorBody): void {
    this.sendError(m.clientId, "send_message", body);
    this.activity.record({
      type: "error",
      message: `send_message to ${m.container.name}: ${body.message}`,
      containerId: m.container.id,
      clientId: m.clientId,
      details: { error_type: body.error_type, message_id: m.messageId },
      audience: [m.clientId],
    });
  }

  /** A request that failed: the `error` event to its client, and the audit entry. */
  requestFailed(clientId: string, operation: Operation, body: ErrorBody): void {
    this.sendError(clientId, operation, body);
    this.activity.record({
      type: "error",
      message: `${operation} failed: ${body.error_type}: ${body.message}`,
      containerId: typeof body.details.container_id === "string" ? body.details.container_id : null,
      clientId,
      details: { operation, error_type: body.error_type },
      audience: [clientId],
    });
  }

  /**
   * Message traffic is always in the audit log and the activity history; it is pushed live as
   * `activity_log` only with FLOW_LIVE_MESSAGE_ACTIVITY (the sender already gets message_sent and
   * message_received, and a second event per message halves the relay's throughput).
   */
  private messageAudience(clients: string[]): string[] | "none" {
    return this.options.liveMessageActivity ? clients : "none";
  }

  /** An event name no operation has: the `error` event only (nothing to audit). */
  unknownEvent(clientId: string, body: ErrorBody): void {
    this.sendError(clientId, "unknown", body);
  }

  /** The one place an `error` event goes to a client: sent and counted. */
  private sendError(clientId: string, operation: Operation | "unknown", body: ErrorBody): void {
    this.options.metrics.errors.inc({ error_type: body.error_type, operation });
    this.clients.emitTo(clientId, "error", body);
  }
}
