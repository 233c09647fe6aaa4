import type { AccessSpec } from "@dockflow/protocol";
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from "kysely";

/** JSON stored in a jsonb column: written as a JSON string, read back parsed. */
export type Json<T> = ColumnType<T, string, string>;
type Timestamp = ColumnType<Date, Date, Date>;

export interface AgentKeysTable {
  id: string;
  name: string;
  /** sha256 of the key (hex); the key itself is never stored. */
  key_hash: string;
  agent_id: string | null;
  created_at: Timestamp;
  revoked_at: Timestamp | null;
  last_used_at: Timestamp | null;
}

export interface AgentsTable {
  id: string;
  display_name: string;
  version: string;
  mode: "standalone" | "swarm";
  node_id: string | null;
  node_role: "manager" | "worker" | null;
  hostname: string | null;
  key_id: string | null;
  status: "online" | "offline";
  last_heartbeat: Timestamp;
  registered_at: Timestamp;
  updated_at: Timestamp;
}

export interface TunnelsTable {
  /** One tunnel per agent. A row whose agent is gone is deleted by the reconciler. */
  agent_id: string;
  name: string;
  /** Cloudflare's id, null until created. */
  tunnel_id: string | null;
  /** The rules map last sent to the agent (start_tunnel / update_tunnel_config), null before. */
  rules_sent: Json<Record<string, unknown>> | null;
  /** Ingress keys (`hostname path`) the master last wrote into this tunnel. */
  applied_keys: Json<string[]>;
  /** Digest of the ingress rules last written: unchanged rules skip the Cloudflare call. */
  applied_hash: string | null;
  connector_status: string | null;
  connector_version: string | null;
  last_error: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface RulesTable {
  /** `${hostname} ${path}`: one owner per hostname+path across all agents. */
  rule_key: string;
  hostname: string;
  /** Anchored regex or '' for the whole hostname. */
  path: string;
  service: string;
  zone_name: string | null;
  origin_request: Json<Record<string, unknown>> | null;
  /** Cloudflare Access from the labels (`AccessSpec`), null for an open hostname. */
  access: Json<AccessSpec> | null;
  agent_id: string;
  source: string;
  container_name: string;
  state: "active" | "grace";
  grace_until: Timestamp | null;
  replicas: number | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface DnsRecordsTable {
  hostname: string;
  tunnel_id: string;
  zone_id: string;
  /** The zone asked for (the `zonename` label), null for the longest match. */
  zone_name: string | null;
  record_id: string;
  updated_at: Timestamp;
}

/** The Access application (and its policy) the master made for a rule key. */
export interface AccessAppsTable {
  rule_key: string;
  app_id: string;
  aud: string;
  policy_id: string;
  /** Digest of the request last written: an unchanged spec skips the Cloudflare calls. */
  digest: string;
  updated_at: Timestamp;
}

export interface CommandsTable {
  id: string;
  seq: Generated<string>;
  agent_id: string;
  action: string;
  payload: Json<Record<string, unknown>>;
  created_at: Timestamp;
  /** Deliverable from this instant on: delivery pushes it a visibility timeout ahead. */
  visible_at: Timestamp;
  delivery_count: Generated<number>;
  last_delivered_at: Timestamp | null;
  acked_at: Timestamp | null;
  success: boolean | null;
  result: Json<Record<string, unknown>> | null;
  error: string | null;
}

export interface EventLogTable {
  id: Generated<string>;
  agent_id: string | null;
  /** The agent's event_id: unique per agent, so a redelivered event is recognised. */
  event_id: string | null;
  type: string;
  payload: Json<Record<string, unknown>>;
  created_at: Timestamp;
}

/** Running tasks of a source on an agent's node, from its last status report (migration 0003). */
export interface PlacementsTable {
  agent_id: string;
  source: string;
  count: number;
  updated_at: Timestamp;
}

export interface SessionsTable {
  /** sha256 of the session id (the cookie's value); the id itself is never stored. */
  id_hash: string;
  csrf_token: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  revoked_at: Timestamp | null;
}

export interface ChangesTable {
  /** Drawn by the insert trigger, in commit order (bigint: a string in JavaScript). */
  id: Generated<string>;
  created_at: Timestamp;
  /** The change without `id` and `at`: `{kind, action, ...payload}`. */
  body: Json<Record<string, unknown>>;
}

export interface ChangesPrunedTable {
  singleton: Generated<boolean>;
  through: string;
}

export interface WebhooksTable {
  id: string;
  url: string;
  events: Json<string[]>;
  /** Signs deliveries; never returned by the API or logged. */
  secret: string;
  description: string;
  created_at: Timestamp;
}

export interface WebhookDeliveriesTable {
  id: string;
  webhook_id: string;
  event_id: string;
  event: string;
  /** The JSON text sent (and signed) on every attempt. */
  body: string;
  status: "pending" | "delivered" | "failed";
  attempts: Generated<number>;
  next_attempt_at: Timestamp;
  lease_until: Timestamp | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: Timestamp;
  delivered_at: Timestamp | null;
}

export interface WebhookCursorTable {
  singleton: Generated<boolean>;
  through: string;
}

export interface Database {
  agent_keys: AgentKeysTable;
  agents: AgentsTable;
  tunnels: TunnelsTable;
  rules: RulesTable;
  dns_records: DnsRecordsTable;
  access_apps: AccessAppsTable;
  commands: CommandsTable;
  event_log: EventLogTable;
  placements: PlacementsTable;
  sessions: SessionsTable;
  changes: ChangesTable;
  changes_pruned: ChangesPrunedTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_cursor: WebhookCursorTable;
}

export type AgentRow = Selectable<AgentsTable>;
export type AgentKeyRow = Selectable<AgentKeysTable>;
export type TunnelRow = Selectable<TunnelsTable>;
export type RuleRow = Selectable<RulesTable>;
export type NewRule = Insertable<RulesTable>;
export type RuleUpdate = Updateable<RulesTable>;
export type DnsRecordRow = Selectable<DnsRecordsTable>;
export type CommandRow = Selectable<CommandsTable>;
export type SessionRow = Selectable<SessionsTable>;
export type ChangeRow = Selectable<ChangesTable>;
export type EventLogRow = Selectable<EventLogTable>;
export type WebhookRow = Selectable<WebhooksTable>;
export type WebhookDeliveryRow = Selectable<WebhookDeliveriesTable>;
export type AccessAppRow = Selectable<AccessAppsTable>;
