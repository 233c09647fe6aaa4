import type { ActivityEntry, AgentView, KeyView, RuleView, TunnelView } from "@dockflow/protocol";
import type { AgentKeyRow, AgentRow, EventLogRow, RuleRow, TunnelRow } from "../db/schema.ts";
import { ruleTarget } from "./rule-target.ts";

const iso = (d: Date) => d.toISOString();
const isoOrNull = (d: Date | null) => (d ? d.toISOString() : null);

export function agentView(
  agent: AgentRow,
  tunnel: TunnelRow | undefined,
  ruleCount: number,
): AgentView {
  return {
    agent_id: agent.id,
    display_name: agent.display_name,
    version: agent.version,
    mode: agent.mode,
    node_id: agent.node_id,
    node_role: agent.node_role,
    hostname: agent.hostname,
    status: agent.status,
    last_heartbeat: iso(agent.last_heartbeat),
    registered_at: iso(agent.registered_at),
    key_id: agent.key_id,
    tunnel_id: tunnel?.tunnel_id ?? null,
    rule_count: ruleCount,
  };
}

export function ruleView(rule: RuleRow): RuleView {
  return {
    hostname: rule.hostname,
    path: rule.path === "" ? null : rule.path,
    service: rule.service,
    zone_name: rule.zone_name,
    origin_request: rule.origin_request,
    access: rule.access,
    agent_id: rule.agent_id,
    source: rule.source,
    container_name: rule.container_name,
    state: rule.state,
    grace_until: isoOrNull(rule.grace_until),
    replicas: rule.replicas,
    target: ruleTarget(rule),
    created_at: iso(rule.created_at),
    updated_at: iso(rule.updated_at),
  };
}

export function tunnelView(tunnel: TunnelRow, agentExists: boolean): TunnelView {
  return {
    agent_id: tunnel.agent_id,
    name: tunnel.name,
    tunnel_id: tunnel.tunnel_id,
    status: !agentExists ? "orphaned" : tunnel.tunnel_id ? "active" : "pending",
    connector_status: tunnel.connector_status,
    connector_version: tunnel.connector_version,
    managed_rules: tunnel.applied_keys,
    last_error: tunnel.last_error,
    created_at: iso(tunnel.created_at),
    updated_at: iso(tunnel.updated_at),
  };
}

export function keyView(key: AgentKeyRow): KeyView {
  return {
    id: key.id,
    name: key.name,
    agent_id: key.agent_id,
    created_at: iso(key.created_at),
    revoked_at: isoOrNull(key.revoked_at),
    last_used_at: isoOrNull(key.last_used_at),
  };
}

export function activityEntry(entry: EventLogRow): ActivityEntry {
  return {
    id: String(entry.id),
    at: iso(entry.created_at),
    type: entry.type,
    agent_id: entry.agent_id,
    payload: entry.payload,
  };
}

/** The change that says a rule is gone. */
export function ruleRemoved(rule: RuleRow) {
  return {
    kind: "rule" as const,
    action: "removed" as const,
    hostname: rule.hostname,
    path: rule.path === "" ? null : rule.path,
    agent_id: rule.agent_id,
  };
}

/** Whether two views of a tunnel show the same thing (its update time aside). */
export function sameTunnelView(a: TunnelView, b: TunnelView): boolean {
  return JSON.stringify({ ...a, updated_at: "" }) === JSON.stringify({ ...b, updated_at: "" });
}
