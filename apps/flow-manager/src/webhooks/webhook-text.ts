import type { FlowWebhookData, FlowWebhookEvent } from "@dockflow/protocol";

/** The one-line, Slack-compatible `text` of a flow manager event. */
export function webhookText<E extends FlowWebhookEvent>(
  event: E,
  data: FlowWebhookData[E],
): string {
  const where = `on flow manager ${data.manager_id}`;
  switch (event) {
    case "container_crashed": {
      const d = data as FlowWebhookData["container_crashed"];
      const cause = d.oom_killed ? ", killed: out of memory" : "";
      const next = d.recovery
        ? `; restarting (attempt ${d.recovery.attempt} of ${d.recovery.max_restarts})`
        : "";
      return `[dockflow] Container ${d.name} crashed ${where} (exit code ${d.exit_code ?? "unknown"}${cause})${next}`;
    }
    case "restart_limit_reached": {
      const d = data as FlowWebhookData["restart_limit_reached"];
      return `[dockflow] Container ${d.name} crashed again ${where} after ${d.max_restarts} automatic restarts; left stopped`;
    }
    default: {
      const d = data as FlowWebhookData["container_unhealthy"];
      return `[dockflow] Container ${d.name} is unhealthy ${where}: ${d.message}`;
    }
  }
}
