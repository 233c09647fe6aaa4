import { z } from "zod";
import { ACCESS_KEYS, AccessSpec, parseAccess } from "./access-labels.ts";
import { ORIGIN_LABELS, OriginRequest, parseOriginValue } from "./origin-labels.ts";

/**
 * Container labels understood by the agent and the master (DockFlare-compatible):
 *
 * - `<prefix>enable=true` (required)
 * - the seed's form: `<prefix>domain` + `<prefix>port` → `http://<container name>:<port>`
 * - DockFlare's: `<prefix>hostname`, `<prefix>service`, `<prefix>path`, `<prefix>zonename`
 *   and origin options (`no_tls_verify`, `originsrvname`, `httpHostHeader`, `http2_origin`,
 *   `disable_chunked_encoding`, `match_sni_to_host`)
 * - indexed hostnames `<prefix>N.hostname` (N = 0, 1, ...), whose unset keys fall back to the
 *   base labels.
 *
 * Every value is validated strictly (hostname syntax, service scheme, path regex), so a label
 * cannot inject anything into an ingress rule or a DNS name.
 */
export const DEFAULT_LABEL_PREFIX = "dockflare.";

/** One ingress rule derived from labels. */
export const IngressRuleSpec = z.object({
  hostname: z.string(),
  service: z.string(),
  /** An anchored regular expression, as Cloudflare expects. */
  path: z.string().optional(),
  /** The zone named by `zonename`; otherwise the master picks the longest matching zone. */
  zone_name: z.string().optional(),
  origin_request: OriginRequest.optional(),
  /** Cloudflare Access in front of the hostname (and path). */
  access: AccessSpec.optional(),
});
export type IngressRuleSpec = z.infer<typeof IngressRuleSpec>;

export interface LabelError {
  /** The label (or label group) at fault. */
  label: string;
  message: string;
}

/** A hostname the labels ask for that must not be published, and why. */
export interface BlockedHostname extends LabelError {
  hostname: string;
  /** The anchored path regex, when the group had a valid one. */
  path?: string;
}

export interface ParsedLabels {
  enabled: boolean;
  rules: IngressRuleSpec[];
  /** Hostnames named by the labels but refused (never published), each with its reason. */
  blocked: BlockedHostname[];
  /** Everything that blocks something (a blocked hostname, or a group with no valid hostname). */
  errors: LabelError[];
  /** Unknown keys that cannot weaken anything published (see `parseLabels`). */
  warnings: LabelError[];
}

export interface ParseLabelsOptions {
  /** Label prefix including its trailing dot (default `dockflare.`). */
  prefix?: string;
  /** Container or service name, used to build `http://<name>:<port>` from a port label. */
  containerName?: string;
}

const DNS_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const ORIGIN_HOST = /^[a-zA-Z0-9]([a-zA-Z0-9.-]{0,251}[a-zA-Z0-9])?$/;
const TRUE = new Set(["true", "1", "yes", "on"]);
const RULE_KEYS = [
  "hostname",
  "domain",
  "service",
  "port",
  "path",
  "zonename",
  ...Object.keys(ORIGIN_LABELS),
] as const;
/** Keys dockflow writes on its own connector containers (which are never enabled). */
const CONNECTOR_KEYS = ["managed", "type", "tunnel_id", "tunnel_name"];
const BASE_ONLY_KEYS = new Set(["enable", ...CONNECTOR_KEYS]);
const GROUP_KEYS = new Set<string>([...RULE_KEYS, ...ACCESS_KEYS.map((k) => `access.${k}`)]);

/** True when the labels opt the container in (`<prefix>enable=true`). */
export function isEnabled(labels: Record<string, string>, prefix = DEFAULT_LABEL_PREFIX): boolean {
  return TRUE.has((labels[`${prefix}enable`] ?? "").trim().toLowerCase());
}

/** Validates a public hostname: lowercase DNS labels, `*` only as the whole first label, no port. */
export function validateHostname(raw: string): string | LabelError["message"] {
  const hostname = raw.trim().toLowerCase().replace(/\.$/, "");
  if (hostname.length === 0 || hostname.length > 253) return "hostname must be 1 to 253 characters";
  const parts = hostname.split(".");
  if (parts.length < 2) return "hostname must have at least two labels (e.g. app.example.com)";
  for (const [i, part] of parts.entries()) {
    if (part === "*" && i === 0) continue;
    if (!DNS_LABEL.test(part)) {
      return `hostname label "${part}" is invalid (letters, digits and '-' only; '*' only as the first label; no port)`;
    }
  }
  return hostname;
}

function isValidHostname(result: string, raw: string): boolean {
  return result === raw.trim().toLowerCase().replace(/\.$/, "");
}

/** Validates an origin service: `scheme://host[:port]` with no path, or `http_status:NNN`. */
export function validateService(raw: string): string | undefined {
  const service = raw.trim();
  if (/^http_status:[1-5]\d\d$/.test(service)) return undefined;
  if (service === "hello_world") return undefined;
  const match = /^(https?|wss?|tcp|ssh|rdp|smb):\/\/([^/:?#\s]+)(?::(\d{1,5}))?$/.exec(service);
  if (!match) {
    return "service must be scheme://host[:port] (http, https, ws, wss, tcp, ssh, rdp, smb) with no path, or http_status:NNN";
  }
  const [, , host, port] = match;
  if (!host || !ORIGIN_HOST.test(host)) return `service host "${host}" is invalid`;
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) {
    return `service port ${port} is out of range`;
  }
  return undefined;
}

/**
 * Turns a path label into an anchored regular expression: a plain path `/api` matches `/api` and
 * everything below it (`^/api(/.*)?$`); a value starting with `^` is taken as a regex as it is.
 */
export function normalizePath(raw: string): string | { error: string } {
  const path = raw.trim();
  if (path.length > 512) return { error: "path is longer than 512 characters" };
  if (/\s/.test(path) || [...path].some((c) => c.charCodeAt(0) < 32 || c.charCodeAt(0) === 127))
    return { error: "path must not contain whitespace or control characters" };
  if (path.startsWith("^")) {
    try {
      new RegExp(path);
    } catch {
      return { error: "path is not a valid regular expression" };
    }
    return path;
  }
  if (!path.startsWith("/")) return { error: "path must start with '/' (or '^' for a regex)" };
  if (/[^A-Za-z0-9\-._~/%]/.test(path)) {
    return {
      error: "a plain path may contain only URL path characters; start with '^' for a regex",
    };
  }
  const trimmed = path.replace(/\/+$/, "");
  if (trimmed === "") return "^/";
  return `^${trimmed.replace(/[.]/g, "\\.")}(/.*)?$`;
}

type GroupValues = Map<string, { value: string; label: string }>;

/**
 * The labels of one rule group: base (`index` undefined) or indexed, with base fallbacks. Access
 * labels fall back as a whole: a group with any `N.access.*` label uses only its own.
 */
function groupValues(
  labels: Record<string, string>,
  prefix: string,
  index: number | undefined,
): GroupValues {
  const values: GroupValues = new Map();
  const own = (key: string) =>
    index === undefined ? `${prefix}${key}` : `${prefix}${index}.${key}`;
  const ownAccess = ACCESS_KEYS.some((k) => labels[own(`access.${k}`)] !== undefined);
  for (const key of GROUP_KEYS) {
    const label = own(key);
    const fallback = index !== undefined && !(key.startsWith("access.") && ownAccess);
    const used = labels[label] !== undefined ? label : fallback ? `${prefix}${key}` : undefined;
    const value = used === undefined ? undefined : labels[used];
    if (used !== undefined && value !== undefined) values.set(key, { value, label: used });
  }
  return values;
}

type RuleResult =
  | { rule: IngressRuleSpec }
  | { error: LabelError; hostname?: string; path?: string }
  | undefined;

function serviceOf(
  values: GroupValues,
  group: string,
  containerName: string | undefined,
): string | LabelError {
  const serviceLabel = values.get("service");
  const port = values.get("port");
  if (serviceLabel) {
    const problem = validateService(serviceLabel.value);
    return problem ? { label: serviceLabel.label, message: problem } : serviceLabel.value.trim();
  }
  if (port) {
    const n = Number(port.value.trim());
    if (!/^\d{1,5}$/.test(port.value.trim()) || n < 1 || n > 65535) {
      return { label: port.label, message: "port must be a number from 1 to 65535" };
    }
    if (!containerName || !ORIGIN_HOST.test(containerName)) {
      return { label: port.label, message: "a port label needs a valid container or service name" };
    }
    return `http://${containerName}:${n}`;
  }
  return { label: group, message: "a hostname needs a service or a port label" };
}

function originOf(values: GroupValues): OriginRequest | LabelError {
  const origin: Record<string, boolean | number | string> = {};
  for (const [key, { field, kind }] of Object.entries(ORIGIN_LABELS)) {
    const entry = values.get(key);
    if (!entry) continue;
    const parsed = parseOriginValue(kind, entry.value);
    if (typeof parsed === "string") return { label: entry.label, message: parsed };
    origin[field] = parsed.value;
  }
  return OriginRequest.parse(origin);
}

function accessOf(values: GroupValues): AccessSpec | LabelError | undefined {
  const raw = new Map<(typeof ACCESS_KEYS)[number], string>();
  let anyLabel = "";
  for (const key of ACCESS_KEYS) {
    const entry = values.get(`access.${key}`);
    if (!entry) continue;
    raw.set(key, entry.value);
    anyLabel ||= entry.label;
  }
  const parsed = parseAccess(raw);
  if (parsed === undefined || "policy" in parsed) return parsed;
  const label =
    parsed.key === "*" ? anyLabel : (values.get(`access.${parsed.key}`)?.label ?? anyLabel);
  return {
    label: label.replace(/access\.[a-z_]+$/, `access.${parsed.key}`),
    message: parsed.message,
  };
}

const isError = (value: unknown): value is LabelError =>
  typeof value === "object" && value !== null && "message" in value && "label" in value;

function ruleFrom(
  values: GroupValues,
  group: string,
  containerName: string | undefined,
): RuleResult {
  const host = values.get("hostname") ?? values.get("domain");
  if (!host) return undefined;
  const hostname = validateHostname(host.value);
  if (!isValidHostname(hostname, host.value)) {
    return { error: { label: host.label, message: hostname } };
  }
  const blocked = (error: LabelError, path?: string): RuleResult => ({
    error,
    hostname,
    ...(path ? { path } : {}),
  });
  let path: string | undefined;
  const pathLabel = values.get("path");
  if (pathLabel) {
    const normalized = normalizePath(pathLabel.value);
    if (typeof normalized !== "string") {
      return blocked({ label: pathLabel.label, message: normalized.error });
    }
    path = normalized;
  }
  const service = serviceOf(values, group, containerName);
  if (isError(service)) return blocked(service, path);

  const rule: IngressRuleSpec = { hostname, service };
  if (path) rule.path = path;
  const zone = values.get("zonename");
  if (zone) {
    const zoneName = validateHostname(zone.value);
    if (!isValidHostname(zoneName, zone.value) || zoneName.startsWith("*")) {
      return blocked(
        { label: zone.label, message: "zonename must be a domain such as example.com" },
        path,
      );
    }
    if (hostname !== zoneName && !hostname.endsWith(`.${zoneName}`)) {
      return blocked(
        { label: zone.label, message: `hostname ${hostname} is not inside zone ${zoneName}` },
        path,
      );
    }
    rule.zone_name = zoneName;
  }
  const origin = originOf(values);
  if (isError(origin)) return blocked(origin, path);
  if (Object.keys(origin).length > 0) rule.origin_request = origin;
  const access = accessOf(values);
  if (isError(access)) return blocked(access, path);
  if (access) rule.access = access;
  return { rule };
}

/** Keys under the prefix that no rule understands, by group (`undefined` = the base group). */
function unknownKeys(
  labels: Record<string, string>,
  prefix: string,
): { base: string[]; indexed: Map<number, string[]> } {
  const base: string[] = [];
  const indexed = new Map<number, string[]>();
  for (const label of Object.keys(labels)) {
    if (!label.startsWith(prefix)) continue;
    const rest = label.slice(prefix.length);
    const match = /^(\d{1,3})\.(.+)$/.exec(rest);
    if (match) {
      if (GROUP_KEYS.has(match[2] ?? "")) continue;
      const index = Number(match[1]);
      indexed.set(index, [...(indexed.get(index) ?? []), label]);
    } else if (!GROUP_KEYS.has(rest) && !BASE_ONLY_KEYS.has(rest)) {
      base.push(label);
    }
  }
  return { base, indexed };
}

/**
 * Parses a container's labels into ingress rules. Nothing is thrown and nothing is ignored:
 *
 * - a group with an invalid value is blocked (its hostname is listed in `blocked`, never
 *   published), as is every hostname of the container when an unknown key sits in the base group
 *   (it could be meant for any of them, e.g. a misspelt `acess.policy`);
 * - an unknown key in an indexed group blocks that group's hostname;
 * - an unknown key in an indexed group that names no hostname only warns: that group publishes
 *   nothing, so the key cannot weaken anything that is published.
 */
export function parseLabels(
  labels: Record<string, string>,
  { prefix = DEFAULT_LABEL_PREFIX, containerName }: ParseLabelsOptions = {},
): ParsedLabels {
  const parsed: ParsedLabels = { enabled: true, rules: [], blocked: [], errors: [], warnings: [] };
  if (!isEnabled(labels, prefix)) return { ...parsed, enabled: false };

  const indexes = new Set<number>();
  const indexed = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(\\d{1,3})\\.`);
  for (const key of Object.keys(labels)) {
    const match = indexed.exec(key);
    if (match) indexes.add(Number(match[1]));
  }
  const unknown = unknownKeys(labels, prefix);
  const unknownError = (keys: string[]): LabelError => ({
    label: keys[0] ?? prefix,
    message: `unknown label${keys.length > 1 ? "s" : ""} ${keys.join(", ")}: not published until fixed or removed`,
  });

  const seen = new Set<string>();
  const add = (result: RuleResult, extra: string[]) => {
    if (!result) return;
    let outcome = result;
    if ("rule" in outcome && extra.length > 0) {
      const { hostname, path } = outcome.rule;
      outcome = { error: unknownError(extra), hostname, ...(path ? { path } : {}) };
    }
    if ("rule" in outcome) {
      const key = `${outcome.rule.hostname} ${outcome.rule.path ?? ""}`;
      if (seen.has(key)) return;
      seen.add(key);
      parsed.rules.push(outcome.rule);
      return;
    }
    const { error, hostname, path } = outcome;
    parsed.errors.push(error);
    if (hostname) parsed.blocked.push({ ...error, hostname, ...(path ? { path } : {}) });
  };

  // The base group is a rule of its own only when it names a hostname itself.
  const hasBaseHost =
    labels[`${prefix}hostname`] !== undefined || labels[`${prefix}domain`] !== undefined;
  if (hasBaseHost) {
    add(
      ruleFrom(groupValues(labels, prefix, undefined), `${prefix}*`, containerName),
      unknown.base,
    );
  }
  for (const index of [...indexes].sort((a, b) => a - b)) {
    const extra = unknown.indexed.get(index) ?? [];
    if (!labels[`${prefix}${index}.hostname`] && !labels[`${prefix}${index}.domain`]) {
      if (extra.length > 0) {
        parsed.warnings.push({
          label: extra[0] ?? `${prefix}${index}.*`,
          message: `${unknownError(extra).message.replace(/: not published.*/, "")}; group ${index} names no hostname, so nothing of it is published`,
        });
      }
      continue;
    }
    add(ruleFrom(groupValues(labels, prefix, index), `${prefix}${index}.*`, containerName), [
      ...unknown.base,
      ...extra,
    ]);
  }
  if (parsed.errors.length === 0 && unknown.base.length > 0) {
    parsed.errors.push(unknownError(unknown.base));
  }
  if (parsed.rules.length === 0 && parsed.errors.length === 0) {
    parsed.errors.push({
      label: `${prefix}hostname`,
      message: "enabled, but no hostname or domain label",
    });
  }
  return parsed;
}
