import { z } from "zod";
import { Timestamp } from "../common.ts";

/** One hostname's target, as in seed 3.2 / 5.3, plus the ingress options the master applied. */
export const RuleTarget = z.object({
  service: z.string().min(1).max(512),
  port: z.number().int().min(1).max(65535).optional(),
  path: z.string().max(1024).optional(),
  replicas: z.number().int().min(0).optional(),
  load_balancer: z.string().max(64).optional(),
});

/** Hostname to target. */
export const TunnelRules = z.record(z.string().min(1).max(253), RuleTarget);

const TunnelId = z.string().min(1).max(128);

export const StartTunnelCommand = z.object({
  action: z.literal("start_tunnel"),
  tunnel_id: TunnelId,
  tunnel_name: z.string().min(1).max(255),
  /** The connector token: a secret, never logged. */
  token: z.string().min(1).max(4096),
  rules: TunnelRules,
});
export const StopTunnelCommand = z.object({
  action: z.literal("stop_tunnel"),
  tunnel_id: TunnelId,
});
export const RestartTunnelCommand = z.object({
  action: z.literal("restart_tunnel"),
  tunnel_id: TunnelId,
});
export const UpdateTunnelConfigCommand = z.object({
  action: z.literal("update_tunnel_config"),
  tunnel_id: TunnelId,
  rules: TunnelRules,
});

/** A command as an operator enqueues it (seed 5.3): no id or timestamp yet. */
export const CommandInput = z.discriminatedUnion("action", [
  StartTunnelCommand,
  StopTunnelCommand,
  RestartTunnelCommand,
  UpdateTunnelConfigCommand,
]);
export type CommandInput = z.infer<typeof CommandInput>;
export type CommandAction = CommandInput["action"];

const Delivered = { id: z.string().min(1).max(128), timestamp: Timestamp };

/** A command as the agent receives it (seed 3.2). */
export const Command = z.discriminatedUnion("action", [
  StartTunnelCommand.extend(Delivered),
  StopTunnelCommand.extend(Delivered),
  RestartTunnelCommand.extend(Delivered),
  UpdateTunnelConfigCommand.extend(Delivered),
]);
export type Command = z.infer<typeof Command>;

/** `GET /api/v2/agents/{id}/commands` (seed 3.2). */
export const CommandsResponse = z.object({ commands: z.array(Command) });

/** `POST /api/v2/agents/{id}/commands` (seed 5.3). */
export const EnqueueCommandsRequest = z.object({ commands: z.array(CommandInput).min(1).max(100) });
