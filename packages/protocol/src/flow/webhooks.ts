import { z } from "zod";
import { ContainerCrashed } from "./replies.ts";

/** The events a flow manager notifies by webhook (FLOW_WEBHOOKS). */
export const FlowWebhookEvent = z.enum([
  "container_crashed",
  "restart_limit_reached",
  "container_unhealthy",
]);
export type FlowWebhookEvent = z.infer<typeof FlowWebhookEvent>;

const FromManager = z.object({ manager_id: z.string() });

/** `data` of `container_crashed`: the `container_crashed` push, and which manager saw it. */
export const FlowCrashedData = ContainerCrashed.extend(FromManager.shape);

/** `data` of `restart_limit_reached`: crash recovery used its attempts and left it stopped. */
export const FlowRestartLimitData = FromManager.extend({
  container_id: z.string(),
  name: z.string(),
  exit_code: z.number().int().nullable(),
  max_restarts: z.number().int(),
});

/** `data` of `container_unhealthy`: its Docker health check turned unhealthy. */
export const FlowUnhealthyData = FromManager.extend({
  container_id: z.string(),
  name: z.string(),
  message: z.string(),
});

/** Each event's `data`. */
export interface FlowWebhookData {
  container_crashed: z.infer<typeof FlowCrashedData>;
  restart_limit_reached: z.infer<typeof FlowRestartLimitData>;
  container_unhealthy: z.infer<typeof FlowUnhealthyData>;
}
