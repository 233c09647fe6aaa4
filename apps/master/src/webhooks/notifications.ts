import type { MasterWebhookEvent, StreamChange, WebhookPayload } from "@dockflow/protocol";

/** What a change of the change stream tells the operators' webhooks. */
export interface Notification {
  event: MasterWebhookEvent;
  /** One line for people (the body's Slack-compatible `text`). */
  text: string;
  data: Record<string, unknown>;
}

/** `stopped` is a connector stopped on purpose (the tunnel was stopped): nothing to report. */
const CONNECTOR_QUIET = new Set(["stopped"]);

const where = (hostname: string, path: string | null) => (path ? `${hostname} ${path}` : hostname);

/**
 * The notification a change makes, if any: agents going offline and coming back, connectors going
 * down and back up, reconcile failures, hostnames published to the internet and removed.
 */
export function notificationFor(change: StreamChange): Notification | undefined {
  switch (change.kind) {
    case "agent":
      if (change.action === "offline" || change.action === "online") {
        const { agent } = change;
        const name = `${agent.display_name} (${agent.agent_id})`;
        return {
          event: change.action === "offline" ? "agent_offline" : "agent_online",
          text:
            change.action === "offline"
              ? `Agent ${name} is offline: no heartbeat since ${agent.last_heartbeat}`
              : `Agent ${name} is back online`,
          data: { agent },
        };
      }
      return undefined;
    case "connector": {
      if (CONNECTOR_QUIET.has(change.connector_status)) return undefined;
      const up = change.connector_status === "running";
      const data = {
        agent_id: change.agent_id,
        connector_status: change.connector_status,
        connector_version: change.connector_version,
      };
      return {
        event: up ? "connector_up" : "connector_down",
        text: up
          ? `Connector of agent ${change.agent_id} is running`
          : `Connector of agent ${change.agent_id} is down (${change.connector_status})`,
        data,
      };
    }
    case "reconcile":
      return {
        event: "reconcile_failed",
        text: `Reconcile failed for ${change.scope}: ${change.message}`,
        data: { scope: change.scope, message: change.message, agent_id: change.agent_id },
      };
    case "rule":
      if (change.action === "created") {
        const { rule } = change;
        return {
          event: "hostname_published",
          text: `${where(rule.hostname, rule.path)} is published (${rule.service}, agent ${rule.agent_id})`,
          data: { rule },
        };
      }
      if (change.action === "removed") {
        return {
          event: "hostname_removed",
          text: `${where(change.hostname, change.path)} is removed (agent ${change.agent_id})`,
          data: { hostname: change.hostname, path: change.path, agent_id: change.agent_id },
        };
      }
      return undefined;
    default:
      return undefined;
  }
}

/** The JSON text of a delivery (`WebhookPayload`): signed as is and sent on every attempt. */
export function webhookBody(
  eventId: string,
  at: Date | string,
  type: string,
  notification: Pick<Notification, "text" | "data">,
): string {
  const payload: WebhookPayload = {
    id: eventId,
    type,
    at: typeof at === "string" ? at : at.toISOString(),
    text: `[dockflow] ${notification.text}`,
    data: notification.data,
  };
  return JSON.stringify(payload);
}
