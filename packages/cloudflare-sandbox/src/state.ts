import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { AccessRule } from "./access-schemas.ts";
import type { ConfigSrc, DnsRecordType, TunnelConfig, TunnelStatus } from "./schemas.ts";

export interface Account {
  id: string;
  name: string;
  created_on: string;
}

export interface Zone {
  id: string;
  name: string;
  account_id: string;
  status: "active";
  created_on: string;
  modified_on: string;
  activated_on: string;
}

/** One edge connection of a connector (`conns[]` in the connections endpoint). */
export interface TunnelConnection {
  id: string;
  uuid: string;
  client_id: string;
  client_version: string;
  colo_name: string;
  is_pending_reconnect: boolean;
  opened_at: string;
  origin_ip: string;
}

/** A cloudflared process attached to a tunnel (the connections endpoint lists these). */
export interface Connector {
  id: string;
  arch: string;
  version: string;
  run_at: string;
  config_version: number;
  features: string[];
  conns: TunnelConnection[];
}

export interface Tunnel {
  id: string;
  account_id: string;
  name: string;
  config_src: ConfigSrc;
  /** base64 of the tunnel secret. */
  secret: string;
  created_at: string;
  deleted_at: string | null;
  conns_active_at: string | null;
  conns_inactive_at: string | null;
  connectors: Connector[];
}

export interface TunnelConfiguration {
  tunnel_id: string;
  account_id: string;
  version: number;
  config: TunnelConfig | null;
  created_at: string;
}

export interface DnsRecord {
  id: string;
  zone_id: string;
  zone_name: string;
  type: DnsRecordType;
  name: string;
  content: string;
  proxied: boolean;
  proxiable: boolean;
  ttl: number;
  priority?: number;
  comment: string | null;
  tags: string[];
  settings: Record<string, unknown>;
  data?: Record<string, unknown>;
  created_on: string;
  modified_on: string;
}

/** A reusable Access policy (`/access/policies`). */
export interface AccessPolicy {
  id: string;
  account_id: string;
  name: string;
  decision: "allow" | "deny" | "non_identity" | "bypass";
  include: AccessRule[];
  exclude: AccessRule[];
  require: AccessRule[];
  session_duration: string;
  created_at: string;
  updated_at: string;
}

/** A self-hosted Access application (`/access/apps`); policies by id and precedence. */
export interface AccessApp {
  id: string;
  account_id: string;
  /** Audience tag: 64 hex digits, fixed for the application's life. */
  aud: string;
  type: "self_hosted";
  name: string;
  domain: string;
  destinations: { type: "public"; uri: string }[];
  self_hosted_domains: string[];
  session_duration: string;
  app_launcher_visible: boolean;
  allowed_idps: string[];
  auto_redirect_to_identity: boolean;
  policies: { id: string; precedence: number }[];
  tags: string[];
  created_at: string;
  updated_at: string;
}

/** The account's Zero Trust organization: `auth_domain` is `<team>.cloudflareaccess.com`. */
export interface AccessOrganization {
  name: string;
  auth_domain: string;
  created_at: string;
  updated_at: string;
}

export interface TokenGrant {
  /** Accounts the token may use; `undefined` means every account. */
  accounts?: string[];
}

export interface RequestLogEntry {
  method: string;
  /** Path below `/client/v4` (e.g. `/accounts/abc/cfd_tunnel`), without the query. */
  path: string;
  /** The raw query string, without `?` (empty when none). */
  query: string;
  /** HTTP status answered (0 while the request is in flight). */
  status: number;
  /** Clock time (ms) when the request arrived. */
  at: number;
}

/** Everything the sandbox holds, inspectable from tests. Treat it as read-only. */
export interface SandboxState {
  accounts: Map<string, Account>;
  zones: Map<string, Zone>;
  tunnels: Map<string, Tunnel>;
  /** Keyed by tunnel id. */
  configurations: Map<string, TunnelConfiguration>;
  dnsRecords: Map<string, DnsRecord>;
  tokens: Map<string, TokenGrant>;
  accessApps: Map<string, AccessApp>;
  accessPolicies: Map<string, AccessPolicy>;
  /** Keyed by `${account_id}/${name}`. */
  accessTags: Map<string, { account_id: string; name: string; created_at: string }>;
  /** Keyed by account id. */
  accessOrganizations: Map<string, AccessOrganization>;
  requests: RequestLogEntry[];
}

export function createState(): SandboxState {
  return {
    accounts: new Map(),
    zones: new Map(),
    tunnels: new Map(),
    configurations: new Map(),
    dnsRecords: new Map(),
    tokens: new Map(),
    accessApps: new Map(),
    accessPolicies: new Map(),
    accessTags: new Map(),
    accessOrganizations: new Map(),
    requests: [],
  };
}

/** A 32-hex-digit identifier, as Cloudflare uses for accounts, zones and records. */
export function hexId(): string {
  return randomBytes(16).toString("hex");
}

/** A stable 32-hex-digit identifier derived from `seed` (zones keep their id across restarts). */
export function stableHexId(seed: string): string {
  return createHash("sha256").update(seed).digest("hex").slice(0, 32);
}

export function uuid(): string {
  return randomUUID();
}

export function newTunnelSecret(): string {
  return randomBytes(32).toString("base64");
}

export function isHexId(value: string): boolean {
  return /^[0-9a-f]{32}$/i.test(value);
}

export function tunnelStatus(tunnel: Tunnel): TunnelStatus {
  const live = tunnel.connectors.some((connector) => connector.conns.length > 0);
  if (live) return "healthy";
  return tunnel.conns_active_at === null ? "inactive" : "down";
}

export function hasLiveConnections(tunnel: Tunnel): boolean {
  return tunnel.connectors.some((connector) => connector.conns.length > 0);
}

/** The string cloudflared takes as `TUNNEL_TOKEN`: base64 of `{"a":account,"t":tunnel,"s":secret}`. */
export function tunnelToken(tunnel: Tunnel): string {
  const payload = JSON.stringify({ a: tunnel.account_id, t: tunnel.id, s: tunnel.secret });
  return Buffer.from(payload).toString("base64");
}

// ---- Wire views ----------------------------------------------------------------------------

export function tunnelView(tunnel: Tunnel): Record<string, unknown> {
  return {
    id: tunnel.id,
    account_tag: tunnel.account_id,
    name: tunnel.name,
    created_at: tunnel.created_at,
    deleted_at: tunnel.deleted_at,
    connections: tunnel.connectors.flatMap((connector) => connector.conns),
    conns_active_at: tunnel.conns_active_at,
    conns_inactive_at: tunnel.conns_inactive_at,
    tun_type: "cfd_tunnel",
    status: tunnelStatus(tunnel),
    remote_config: tunnel.config_src === "cloudflare",
    config_src: tunnel.config_src,
    metadata: {},
  };
}

export function configurationView(
  configuration: TunnelConfiguration,
  source: ConfigSrc,
): Record<string, unknown> {
  return {
    tunnel_id: configuration.tunnel_id,
    account_id: configuration.account_id,
    version: configuration.version,
    config: configuration.config,
    source,
    created_at: configuration.created_at,
  };
}

export function zoneView(zone: Zone, account: Account | undefined): Record<string, unknown> {
  return {
    id: zone.id,
    name: zone.name,
    status: zone.status,
    paused: false,
    type: "full",
    development_mode: 0,
    name_servers: ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"],
    original_name_servers: null,
    original_registrar: null,
    original_dnshost: null,
    created_on: zone.created_on,
    modified_on: zone.modified_on,
    activated_on: zone.activated_on,
    meta: {
      step: 4,
      custom_certificate_quota: 0,
      page_rule_quota: 3,
      phishing_detected: false,
    },
    owner: { id: null, type: "user", email: null },
    account: { id: zone.account_id, name: account?.name ?? "" },
    tenant: { id: null, name: null },
    tenant_unit: { id: null },
    permissions: ["#dns_records:edit", "#dns_records:read", "#zone:read"],
    plan: {
      id: "0feeeeeeeeeeeeeeeeeeeeeeeeeeeeee",
      name: "Free Website",
      price: 0,
      currency: "USD",
      frequency: "",
      is_subscribed: false,
      can_subscribe: false,
      legacy_id: "free",
      legacy_discount: false,
      externally_managed: false,
    },
  };
}

export function dnsRecordView(record: DnsRecord): Record<string, unknown> {
  const view: Record<string, unknown> = {
    id: record.id,
    zone_id: record.zone_id,
    zone_name: record.zone_name,
    name: record.name,
    type: record.type,
    content: record.content,
    proxiable: record.proxiable,
    proxied: record.proxied,
    ttl: record.ttl,
    settings: record.settings,
    meta: {},
    comment: record.comment,
    tags: record.tags,
    created_on: record.created_on,
    modified_on: record.modified_on,
  };
  if (record.priority !== undefined) view.priority = record.priority;
  if (record.data !== undefined) view.data = record.data;
  return view;
}
