import { z } from "zod";

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

export const OriginRequest = z.object({
  noTLSVerify: z.boolean().optional(),
  originServerName: z.string().optional(),
  httpHostHeader: z.string().optional(),
  http2Origin: z.boolean().optional(),
  disableChunkedEncoding: z.boolean().optional(),
  matchSNIToHost: z.boolean().optional(),
});

/** One ingress rule derived from labels. */
export const IngressRuleSpec = z.object({
  hostname: z.string(),
  service: z.string(),
  /** An anchored regular expression, as Cloudflare expects. */
  path: z.string().optional(),
  /** The zone named by `zonename`; otherwise the master picks the longest matching zone. */
  zone_name: z.string().optional(),
  origin_request: OriginRequest.optional(),
});
export type IngressRuleSpec = z.infer<typeof IngressRuleSpec>;

export interface LabelError {
  /** The label (or label group) at fault. */
  label: string;
  message: string;
}

export interface ParsedLabels {
  enabled: boolean;
  rules: IngressRuleSpec[];
  errors: LabelError[];
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
const FALSE = new Set(["false", "0", "no", "off"]);
const BOOLEAN_OPTIONS = {
  no_tls_verify: "noTLSVerify",
  http2_origin: "http2Origin",
  disable_chunked_encoding: "disableChunkedEncoding",
  match_sni_to_host: "matchSNIToHost",
} as const;
const STRING_OPTIONS = {
  originsrvname: "originServerName",
  httpHostHeader: "httpHostHeader",
} as const;
const RULE_KEYS = [
  "hostname",
  "domain",
  "service",
  "port",
  "path",
  "zonename",
  ...Object.keys(BOOLEAN_OPTIONS),
  ...Object.keys(STRING_OPTIONS),
] as const;

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

function parseBoolean(value: string): boolean | undefined {
  const v = value.trim().toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  return undefined;
}

/** The labels of one rule group: base (`index` undefined) or indexed, with base fallbacks. */
function groupValues(
  labels: Record<string, string>,
  prefix: string,
  index: number | undefined,
): Map<string, { value: string; label: string }> {
  const values = new Map<string, { value: string; label: string }>();
  for (const key of RULE_KEYS) {
    const baseLabel = `${prefix}${key}`;
    const label = index === undefined ? baseLabel : `${prefix}${index}.${key}`;
    const value = labels[label] ?? (index === undefined ? undefined : labels[baseLabel]);
    if (value !== undefined) {
      values.set(key, { value, label: labels[label] !== undefined ? label : baseLabel });
    }
  }
  return values;
}

function ruleFrom(
  values: Map<string, { value: string; label: string }>,
  group: string,
  containerName: string | undefined,
  errors: LabelError[],
): IngressRuleSpec | undefined {
  const host = values.get("hostname") ?? values.get("domain");
  if (!host) return undefined;
  const hostname = validateHostname(host.value);
  if (!isValidHostname(hostname, host.value)) {
    errors.push({ label: host.label, message: hostname });
    return undefined;
  }

  let service: string;
  const serviceLabel = values.get("service");
  const port = values.get("port");
  if (serviceLabel) {
    const problem = validateService(serviceLabel.value);
    if (problem) {
      errors.push({ label: serviceLabel.label, message: problem });
      return undefined;
    }
    service = serviceLabel.value.trim();
  } else if (port) {
    const n = Number(port.value.trim());
    if (!/^\d{1,5}$/.test(port.value.trim()) || n < 1 || n > 65535) {
      errors.push({ label: port.label, message: "port must be a number from 1 to 65535" });
      return undefined;
    }
    if (!containerName || !ORIGIN_HOST.test(containerName)) {
      errors.push({
        label: port.label,
        message: "a port label needs a valid container or service name",
      });
      return undefined;
    }
    service = `http://${containerName}:${n}`;
  } else {
    errors.push({ label: group, message: "a hostname needs a service or a port label" });
    return undefined;
  }

  const rule: IngressRuleSpec = { hostname, service };
  const path = values.get("path");
  if (path) {
    const normalized = normalizePath(path.value);
    if (typeof normalized !== "string") {
      errors.push({ label: path.label, message: normalized.error });
      return undefined;
    }
    rule.path = normalized;
  }
  const zone = values.get("zonename");
  if (zone) {
    const zoneName = validateHostname(zone.value);
    if (!isValidHostname(zoneName, zone.value) || zoneName.startsWith("*")) {
      errors.push({ label: zone.label, message: "zonename must be a domain such as example.com" });
      return undefined;
    }
    if (hostname !== zoneName && !hostname.endsWith(`.${zoneName}`)) {
      errors.push({
        label: zone.label,
        message: `hostname ${hostname} is not inside zone ${zoneName}`,
      });
      return undefined;
    }
    rule.zone_name = zoneName;
  }

  const origin: z.infer<typeof OriginRequest> = {};
  for (const [key, field] of Object.entries(BOOLEAN_OPTIONS)) {
    const entry = values.get(key);
    if (!entry) continue;
    const parsed = parseBoolean(entry.value);
    if (parsed === undefined) {
      errors.push({ label: entry.label, message: "must be true or false" });
      return undefined;
    }
    origin[field] = parsed;
  }
  for (const [key, field] of Object.entries(STRING_OPTIONS)) {
    const entry = values.get(key);
    if (!entry) continue;
    const value = entry.value.trim();
    if (!ORIGIN_HOST.test(value)) {
      errors.push({ label: entry.label, message: "must be a host name" });
      return undefined;
    }
    origin[field] = value;
  }
  if (Object.keys(origin).length > 0) rule.origin_request = origin;
  return rule;
}

/** Parses a container's labels into ingress rules; invalid groups are reported, not thrown. */
export function parseLabels(
  labels: Record<string, string>,
  { prefix = DEFAULT_LABEL_PREFIX, containerName }: ParseLabelsOptions = {},
): ParsedLabels {
  const errors: LabelError[] = [];
  if (!isEnabled(labels, prefix)) return { enabled: false, rules: [], errors };

  const indexes = new Set<number>();
  const indexed = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(\\d{1,3})\\.`);
  for (const key of Object.keys(labels)) {
    const match = indexed.exec(key);
    if (match) indexes.add(Number(match[1]));
  }

  const rules: IngressRuleSpec[] = [];
  const seen = new Set<string>();
  const add = (rule: IngressRuleSpec | undefined) => {
    if (!rule) return;
    const key = `${rule.hostname} ${rule.path ?? ""}`;
    if (seen.has(key)) return;
    seen.add(key);
    rules.push(rule);
  };

  // The base group is a rule of its own only when it names a hostname itself.
  const hasBaseHost =
    labels[`${prefix}hostname`] !== undefined || labels[`${prefix}domain`] !== undefined;
  if (hasBaseHost)
    add(ruleFrom(groupValues(labels, prefix, undefined), `${prefix}*`, containerName, errors));
  for (const index of [...indexes].sort((a, b) => a - b)) {
    const values = groupValues(labels, prefix, index);
    if (!labels[`${prefix}${index}.hostname`] && !labels[`${prefix}${index}.domain`]) continue;
    add(ruleFrom(values, `${prefix}${index}.*`, containerName, errors));
  }
  if (rules.length === 0 && errors.length === 0) {
    errors.push({
      label: `${prefix}hostname`,
      message: "enabled, but no hostname or domain label",
    });
  }
  return { enabled: true, rules, errors };
}
