import { z } from "zod";
import { AccessSpec } from "../access-labels.ts";
import { Timestamp } from "../common.ts";
import { OriginRequest } from "../origin-labels.ts";
import { AgentId, AgentMode, NodeRole } from "./agents.ts";
import { RuleTarget } from "./commands.ts";

/** What operators read about the master's state (`GET /agents`, `/tunnels`, `/rules`, `/keys`). */

export const AgentStatus = z.enum(["online", "offline"]);

export const AgentView = z.object({
  agent_id: AgentId,
  display_name: z.string(),
  version: z.string(),
  mode: AgentMode,
  node_id: z.string().nullable(),
  node_role: NodeRole.nullable(),
  hostname: z.string().nullable(),
  status: AgentStatus,
  last_heartbeat: Timestamp,
  registered_at: Timestamp,
  /** The key the agent registered with (its id, never the key). */
  key_id: z.string().nullable(),
  /** The Cloudflare tunnel of this agent, once created. */
  tunnel_id: z.string().nullable(),
  rule_count: z.number().int(),
});
export type AgentView = z.infer<typeof AgentView>;

export const RuleState = z.enum(["active", "grace"]);

export const RuleView = z.object({
  hostname: z.string(),
  /** Anchored regular expression, or null for the whole hostname. */
  path: z.string().nullable(),
  /** The origin written into the tunnel's ingress. */
  service: z.string(),
  zone_name: z.string().nullable(),
  origin_request: OriginRequest.nullable(),
  /** Cloudflare Access from the labels; null for an open hostname. */
  access: AccessSpec.nullable(),
  agent_id: AgentId,
  /** What the rule comes from: `service:<swarm service id>` or `container:<name>`. */
  source: z.string(),
  container_name: z.string(),
  state: RuleState,
  /** When a rule in its grace period is removed. */
  grace_until: Timestamp.nullable(),
  replicas: z.number().int().nullable(),
  /** As the agent sees it in `start_tunnel` / `update_tunnel_config`. */
  target: RuleTarget,
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type RuleView = z.infer<typeof RuleView>;

export const TunnelView = z.object({
  agent_id: AgentId,
  name: z.string(),
  /** Null until Cloudflare created it. */
  tunnel_id: z.string().nullable(),
  /** `pending` (not yet created in Cloudflare), `active`, `orphaned` (its agent was removed). */
  status: z.enum(["pending", "active", "orphaned"]),
  /** Last `tunnel_status` the agent reported for its connector. */
  connector_status: z.string().nullable(),
  connector_version: z.string().nullable(),
  /** Hostname+path keys of the ingress rules the master last wrote for this tunnel. */
  managed_rules: z.array(z.string()),
  /** Last Cloudflare failure while reconciling this tunnel (cleared on success). */
  last_error: z.string().nullable(),
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type TunnelView = z.infer<typeof TunnelView>;

/** One entry of a tunnel's ingress as Cloudflare holds it. */
export const IngressEntryView = z.object({
  /** Null for an entry without a hostname (it matches every hostname). */
  hostname: z.string().nullable(),
  path: z.string().nullable(),
  service: z.string(),
  /** True when the master wrote it (its hostname+path key is one the master manages). */
  managed: z.boolean(),
});
export type IngressEntryView = z.infer<typeof IngressEntryView>;

/** `GET /tunnels/{agent_id}/ingress`: the tunnel's whole ingress, operator entries included. */
export const TunnelIngressView = z.object({
  agent_id: AgentId,
  tunnel_id: z.string(),
  /** In Cloudflare's order, the catch-all excluded. */
  ingress: z.array(IngressEntryView),
  /** The last, match-everything entry's service; null when the tunnel has none yet. */
  catch_all: z.string().nullable(),
});
export type TunnelIngressView = z.infer<typeof TunnelIngressView>;

export const DnsRecordView = z.object({
  hostname: z.string(),
  tunnel_id: z.string(),
  zone_id: z.string(),
  record_id: z.string(),
});

export const AgentDetail = AgentView.extend({
  tunnel: TunnelView.nullable(),
  rules: z.array(RuleView),
  /** Commands queued and not yet acknowledged. */
  pending_commands: z.number().int(),
});
export type AgentDetail = z.infer<typeof AgentDetail>;

export const KeyView = z.object({
  id: z.string(),
  name: z.string(),
  /** The agent the key is bound to (bound on first registration). */
  agent_id: AgentId.nullable(),
  created_at: Timestamp,
  revoked_at: Timestamp.nullable(),
  last_used_at: Timestamp.nullable(),
});
export type KeyView = z.infer<typeof KeyView>;

export const IssueKeyRequest = z.object({ name: z.string().trim().min(1).max(200) });

/** `POST /keys`: the only time the key itself is shown. */
export const KeyIssued = z.object({
  id: z.string(),
  name: z.string(),
  key: z.string(),
  created_at: Timestamp,
});
export type KeyIssued = z.infer<typeof KeyIssued>;

export const ReconcileResult = z.object({
  rules_expired: z.number().int(),
  tunnels_created: z.number().int(),
  tunnels_deleted: z.number().int(),
  ingress_updated: z.number().int(),
  dns_written: z.number().int(),
  dns_removed: z.number().int(),
  commands_enqueued: z.number().int(),
  /** Failures are kept as desired state and retried with backoff. */
  errors: z.array(z.object({ scope: z.string(), message: z.string() })),
});
export type ReconcileResult = z.infer<typeof ReconcileResult>;

export const EnqueuedCommands = z.object({
  commands: z.array(z.object({ id: z.string(), action: z.string() })),
});

export const Health = z.object({
  status: z.enum(["ok", "unavailable"]),
  database: z.enum(["ok", "unavailable"]),
});
