/**
 * Pure ingress logic: merging the rules we manage into a tunnel's existing ingress without
 * touching anyone else's rules, ordering, validation and change detection.
 */

/** A rule the master manages (snake_case on our side; written as cloudflared's `originRequest`). */
export interface ManagedIngressRule {
  hostname: string;
  service: string;
  path?: string;
  origin_request?: Record<string, unknown>;
}

/** An ingress rule as Cloudflare stores it; unknown fields of foreign rules are kept verbatim. */
export interface WireIngressRule {
  hostname?: string;
  service: string;
  path?: string;
  originRequest?: Record<string, unknown>;
  [field: string]: unknown;
}

export const DEFAULT_CATCH_ALL: WireIngressRule = { service: "http_status:404" };

const NAMED_SERVICES = new Set(["hello_world", "bastion", "socks-proxy"]);
const URL_SCHEMES = new Set(["http", "https", "ws", "wss", "tcp", "ssh", "rdp", "smb"]);
const LABEL = /^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?$/;

/** Lower-case, no trailing dot, no `:port` (cloudflared rejects hostnames with a port). */
export function normalizeHostname(hostname: string): string {
  let host = hostname.trim().toLowerCase().replace(/\.$/, "");
  const port = /^(.*?):\d*$/.exec(host);
  if (port?.[1] !== undefined && !host.startsWith("[")) host = port[1];
  return host;
}

/** The ownership key of a rule: `${hostname} ${path ?? ""}` (hostname normalised). */
export function ruleKey(rule: {
  hostname?: string | undefined;
  path?: string | undefined;
}): string {
  return `${normalizeHostname(rule.hostname ?? "")} ${rule.path ?? ""}`;
}

/** Normalises a key given by the caller the same way `ruleKey` does. */
export function normalizeKey(key: string): string {
  const space = key.indexOf(" ");
  const hostname = space === -1 ? key : key.slice(0, space);
  const path = space === -1 ? "" : key.slice(space + 1);
  return `${normalizeHostname(hostname)} ${path}`;
}

export function isCatchAll(rule: WireIngressRule): boolean {
  const hostname = rule.hostname ?? "";
  return (hostname === "" || hostname === "*") && (rule.path ?? "") === "";
}

/** Lower rank first: exact hostname with a path, exact, wildcard with a path, wildcard. */
function specificity(rule: WireIngressRule): number {
  const wildcard = (rule.hostname ?? "").startsWith("*") ? 2 : 0;
  const pathless = (rule.path ?? "") === "" ? 1 : 0;
  return wildcard + pathless;
}

export function toWireRule(rule: ManagedIngressRule): WireIngressRule {
  const wire: WireIngressRule = {
    hostname: normalizeHostname(rule.hostname),
    service: rule.service,
  };
  if (rule.path !== undefined && rule.path !== "") wire.path = rule.path;
  if (rule.origin_request !== undefined && Object.keys(rule.origin_request).length > 0) {
    wire.originRequest = rule.origin_request;
  }
  return wire;
}

export interface MergeResult {
  ingress: WireIngressRule[];
  /** Keys of desired rules that appeared more than once (the first one was kept). */
  duplicates: string[];
}

/**
 * Builds the new ingress: existing rules whose key is owned (or desired) are replaced by the
 * desired ones, every other rule is kept; rules are ordered most specific first (exact hostname
 * before wildcard, with a path before without), ties keep the existing order with foreign rules
 * ahead of ours; the catch-all is last (the existing one is kept, else `http_status:404`).
 */
export function mergeIngress(
  existing: readonly WireIngressRule[],
  desired: readonly ManagedIngressRule[],
  owned: readonly string[],
): MergeResult {
  const managed: WireIngressRule[] = [];
  const duplicates: string[] = [];
  const desiredKeys = new Set<string>();
  for (const rule of desired) {
    const wire = toWireRule(rule);
    const key = ruleKey(wire);
    if (desiredKeys.has(key)) {
      duplicates.push(key);
      continue;
    }
    desiredKeys.add(key);
    managed.push(wire);
  }
  const replaced = new Set([...owned.map(normalizeKey), ...desiredKeys]);

  let catchAll: WireIngressRule | undefined;
  const foreign: WireIngressRule[] = [];
  for (const rule of existing) {
    if (isCatchAll(rule)) {
      catchAll = rule;
      continue;
    }
    if (replaced.has(ruleKey(rule))) continue;
    foreign.push(rule);
  }
  managed.sort((a, b) => ruleKey(a).localeCompare(ruleKey(b)));
  // Array.prototype.sort is stable: equal ranks keep foreign rules first, in their order.
  const ordered = [...foreign, ...managed].sort((a, b) => specificity(a) - specificity(b));
  return { ingress: [...ordered, catchAll ?? DEFAULT_CATCH_ALL], duplicates };
}

function hostnameProblem(hostname: string): string | undefined {
  if (hostname.includes(":")) return `hostname "${hostname}" must not contain a port`;
  if (hostname.includes("/")) return `hostname "${hostname}" must not contain a scheme or path`;
  if (hostname.length > 253) return `hostname "${hostname}" is too long`;
  const labels = hostname.split(".");
  for (const [index, label] of labels.entries()) {
    if (label === "*" && index === 0 && labels.length > 1) continue;
    if (label.includes("*")) {
      return `hostname "${hostname}": "*" may only be the whole first label (e.g. "*.example.com")`;
    }
    if (label.length > 63 || !LABEL.test(label)) {
      return `hostname "${hostname}" is not a valid hostname`;
    }
  }
  return undefined;
}

function serviceProblem(service: string): string | undefined {
  if (NAMED_SERVICES.has(service)) return undefined;
  if (service.startsWith("http_status:")) {
    const code = Number(service.slice("http_status:".length));
    return /^http_status:\d{3}$/.test(service) && code >= 100 && code <= 599
      ? undefined
      : `service "${service}" must be http_status:NNN`;
  }
  if (service.startsWith("unix:") || service.startsWith("unix+tls:")) {
    return service.endsWith(":") ? `service "${service}" needs a socket path` : undefined;
  }
  const match = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]+)(.*)$/i.exec(service);
  if (!match) return `service "${service}" must be a URL with a scheme and a host`;
  const [, scheme = "", authority = "", rest = ""] = match;
  if (!URL_SCHEMES.has(scheme.toLowerCase())) {
    return `service "${service}" has an unsupported scheme "${scheme}"`;
  }
  if (authority.includes("@")) return `service "${service}" must not carry credentials`;
  const port = /:(\d+)$/.exec(authority)?.[1];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) {
    return `service "${service}" has an invalid port`;
  }
  if (rest !== "") return `service "${service}" must not have a path (not even "/")`;
  return undefined;
}

/**
 * What the API would reject with 400/1056, checked before we send: a valid hostname without a
 * port, a compilable path, a known service form, exactly one catch-all and it is last.
 * Returns the problems found (empty when valid).
 */
export function ingressProblems(ingress: readonly WireIngressRule[]): string[] {
  const problems: string[] = [];
  if (ingress.length === 0) return ["the ingress is empty: it needs a catch-all rule"];
  for (const [index, rule] of ingress.entries()) {
    const where = `ingress rule #${index + 1}`;
    const last = index === ingress.length - 1;
    const hostname = rule.hostname ?? "";
    if (hostname !== "" && hostname !== "*") {
      const problem = hostnameProblem(hostname);
      if (problem) problems.push(`${where}: ${problem}`);
    }
    if (rule.path !== undefined && rule.path !== "") {
      try {
        new RegExp(rule.path);
      } catch {
        problems.push(`${where}: path "${rule.path}" is not a valid regular expression`);
      }
    }
    if (typeof rule.service !== "string") {
      problems.push(`${where}: service is missing`);
    } else {
      const problem = serviceProblem(rule.service);
      if (problem) problems.push(`${where}: ${problem}`);
    }
    if (!last && isCatchAll(rule)) problems.push(`${where} matches everything but is not last`);
    if (last && !isCatchAll(rule)) problems.push(`${where}: the last rule must be a catch-all`);
  }
  return problems;
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => [k, canonical(v)] as const);
    return Object.fromEntries(entries);
  }
  return value;
}

/** A rule without the spellings the API treats as absent (`""` hostname/path, `{}` options). */
function comparable(rule: WireIngressRule): unknown {
  const { hostname, path, originRequest, ...rest } = rule;
  const view: Record<string, unknown> = { ...rest };
  if (hostname !== undefined && hostname !== "") view.hostname = hostname;
  if (path !== undefined && path !== "") view.path = path;
  if (originRequest !== undefined && Object.keys(originRequest).length > 0) {
    view.originRequest = originRequest;
  }
  return canonical(view);
}

/** Whether writing `next` would change nothing compared to `current`. */
export function sameIngress(
  current: readonly WireIngressRule[],
  next: readonly WireIngressRule[],
): boolean {
  return JSON.stringify(current.map(comparable)) === JSON.stringify(next.map(comparable));
}

/** A tunnel's ingress split for display: entries marked as ours or not, and the catch-all. */
export interface MarkedIngress {
  entries: { hostname: string | null; path: string | null; service: string; managed: boolean }[];
  catchAll: string | null;
}

/**
 * Marks each entry of `ingress` as managed when its key is one of `owned` (the same test
 * `mergeIngress` uses to decide what it may replace); every other entry is the operator's.
 * Catch-all entries are reported apart (the last one wins, as in cloudflared).
 */
export function markIngress(
  ingress: readonly WireIngressRule[],
  owned: readonly string[],
): MarkedIngress {
  const ours = new Set(owned.map(normalizeKey));
  const entries: MarkedIngress["entries"] = [];
  let catchAll: string | null = null;
  for (const rule of ingress) {
    if (isCatchAll(rule)) {
      catchAll = rule.service;
      continue;
    }
    entries.push({
      hostname: rule.hostname === undefined || rule.hostname === "" ? null : rule.hostname,
      path: rule.path === undefined || rule.path === "" ? null : rule.path,
      service: rule.service,
      managed: ours.has(ruleKey(rule)),
    });
  }
  return { entries, catchAll };
}
