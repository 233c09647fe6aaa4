import { z } from "zod";

export const AgentMode = z.enum(["standalone", "swarm"]);
export const NodeRole = z.enum(["manager", "worker"]);

/** Agent ids are chosen by the master (`agent-<node id or random>`). */
export const AgentId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, "agent ids contain letters, digits, '_', '.' and '-'");

/** Seed 1.2: `POST /api/v2/agents/register`. */
export const RegisterRequest = z.object({
  display_name: z.string().min(1).max(200),
  version: z.string().min(1).max(64),
  mode: AgentMode,
  node_info: z
    .object({
      node_id: z.string().min(1).max(128).optional(),
      node_role: NodeRole.optional(),
      hostname: z.string().max(255).optional(),
    })
    .optional(),
  /** The id the agent stored from an earlier registration: it comes back as the same agent. */
  agent_id: AgentId.optional(),
});
export type RegisterRequest = z.infer<typeof RegisterRequest>;

/** Seed 1.3. */
export const RegisterResponse = z.object({
  agent_id: AgentId,
  status: z.literal("registered"),
  assigned_region: z.string().optional(),
  capabilities: z.array(z.string()),
});
export type RegisterResponse = z.infer<typeof RegisterResponse>;
