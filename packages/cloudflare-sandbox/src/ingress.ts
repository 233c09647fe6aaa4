import type { IngressRule, TunnelConfig } from "./schemas.ts";

/** Fixed services cloudflared knows besides URLs, `unix:` sockets and `http_status:`. */
const NAMED_SERVICES = new Set(["hello_world", "bastion", "socks-proxy"]);
/** URL schemes: http/https/ws/wss proxied as HTTP, tcp/ssh/rdp/smb carried as TCP. */
const URL_SCHEMES = new Set(["http", "https", "ws", "wss", "tcp", "ssh", "rdp", "smb"]);

const LABEL = /^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?$/i;

function isCatchAll(rule: IngressRule): boolean {
  const hostname = rule.hostname ?? "";
  return (hostname === "" || hostname === "*") && (rule.path ?? "") === "";
}

function hostnameProblem(hostname: string): string | undefined {
  if (hostname === "" || hostname === "*") return undefined;
  if (hostname.includes(":")) return `hostname "${hostname}" cannot contain a port`;
  const labels = hostname.split(".");
  for (const [index, label] of labels.entries()) {
    if (label === "*" && index === 0) continue;
    if (label.includes("*")) {
      return `hostname "${hostname}": the wildcard "*" can only be the whole first label, e.g. "*.example.com"`;
    }
    if (!LABEL.test(label)) return `hostname "${hostname}" is not a valid hostname`;
  }
  return undefined;
}

function serviceProblem(service: string): string | undefined {
  if (NAMED_SERVICES.has(service)) return undefined;
  if (service.startsWith("http_status:")) {
    const code = service.slice("http_status:".length);
    if (!/^\d{3}$/.test(code) || Number(code) < 100 || Number(code) > 599) {
      return `"${service}" is not a valid http_status service (expected http_status:NNN)`;
    }
    return undefined;
  }
  for (const prefix of ["unix+tls:", "unix:"]) {
    if (service.startsWith(prefix)) {
      return service.length > prefix.length ? undefined : `"${service}" needs a socket path`;
    }
  }
  const match = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)(.*)$/i.exec(service);
  if (!match) {
    return `${service} is an invalid address, please make sure it has a scheme and a hostname`;
  }
  const [, scheme = "", authority = "", rest = ""] = match;
  if (!URL_SCHEMES.has(scheme.toLowerCase())) {
    return `${service} uses an unsupported scheme "${scheme}"`;
  }
  const hostPort = /^(\[[0-9a-f:.]+\]|[^:[\]@]+)(?::(\d{1,5}))?$/i.exec(authority);
  if (!hostPort) {
    return `${service} is an invalid address, please make sure it has a scheme and a hostname`;
  }
  if (hostPort[2] !== undefined && (Number(hostPort[2]) < 1 || Number(hostPort[2]) > 65535)) {
    return `${service} has an invalid port`;
  }
  if (rest !== "") {
    return `${service} is an invalid address, ingress rules don't support proxying to a different path on the origin service. The path will be the same as the eyeball request's path`;
  }
  return undefined;
}

/**
 * The ingress checks the API applies on `PUT .../configurations` (cloudflared's rules).
 * Returns a description of the first violation, or `undefined` when the config is valid.
 */
export function ingressProblem(config: TunnelConfig): string | undefined {
  const rules = config.ingress;
  for (const [index, rule] of rules.entries()) {
    const where = `ingress rule #${index + 1}`;
    const isLast = index === rules.length - 1;
    const hostProblem = hostnameProblem(rule.hostname ?? "");
    if (hostProblem) return `${where}: ${hostProblem}`;
    if (rule.path !== undefined && rule.path !== "") {
      try {
        new RegExp(rule.path);
      } catch {
        return `${where}: path "${rule.path}" is not a valid regular expression`;
      }
    }
    const svcProblem = serviceProblem(rule.service);
    if (svcProblem) return `${where}: ${svcProblem}`;
    if (!isLast && isCatchAll(rule)) {
      return `${where} matches every hostname, but it is not the last rule: the rules after it would never be used`;
    }
    if (isLast && !isCatchAll(rule)) {
      return "The last ingress rule must match all URLs (i.e. it should not have a hostname or path filter)";
    }
  }
  return undefined;
}
