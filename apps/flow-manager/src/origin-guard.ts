/**
 * Which Socket.IO handshakes a browser page may make (pure: headers in, decision out).
 *
 * - `Host`: when the manager listens on loopback, only loopback names and addresses (localhost,
 *   127.0.0.0/8, [::1], any port). A DNS-rebinding page reaches 127.0.0.1 under its own host name,
 *   so its requests carry that name. Listening elsewhere, any well-formed Host passes: the manager
 *   cannot know the names a proxy routes to it, and the token it then requires is never sent by a
 *   browser on its own (it travels in the handshake's `auth`, not in a cookie).
 * - `Origin`: absent (clients outside browsers), the same origin as the `Host` the request was sent
 *   to, or one of the allowed origins (FLOW_CORS_ORIGINS). Everything else, `null` included, is
 *   refused.
 */

export interface OriginPolicy {
  /** The manager listens on a loopback address: Host must name loopback. */
  loopbackOnly: boolean;
  /** Allowed cross-origin pages, as {@link normalizeOrigin} gives them. */
  allowedOrigins: readonly string[];
}

export interface HandshakeHeaders {
  origin?: string | undefined;
  host?: string | undefined;
}

export type HandshakeDecision = { ok: true } | { ok: false; reason: string };

const DEFAULT_PORTS: Record<string, string> = { "http:": "80", "https:": "443" };
/** A Host header: a bracketed IPv6 address or a name/IPv4 address, then an optional port. */
const HOST_HEADER = /^(\[[0-9a-f:.]+\]|[a-z0-9_.-]+)(?::(\d{1,5}))?$/i;
const LOOPBACK_NAMES = new Set(["localhost", "[::1]"]);

interface Endpoint {
  hostname: string;
  /** The port as written, or "" when none was. */
  port: string;
}

/** Lower case, no trailing dot, IPv4 and IPv6 written as WHATWG URL writes them. */
function canonicalHostname(hostname: string): string | null {
  try {
    const url = new URL(`http://${hostname}/`);
    return url.hostname.replace(/\.$/, "");
  } catch {
    return null;
  }
}

/** A `Host` header split into a canonical host name and its port, or null when malformed. */
export function parseHostHeader(value: string): Endpoint | null {
  const match = HOST_HEADER.exec(value.trim());
  if (!match?.[1]) return null;
  const port = match[2] ?? "";
  if (port !== "" && Number(port) > 65535) return null;
  const hostname = canonicalHostname(match[1]);
  return hostname ? { hostname, port } : null;
}

/** Whether a canonical host name is loopback: localhost, 127.0.0.0/8 or [::1]. */
export function isLoopbackHostname(hostname: string): boolean {
  return LOOPBACK_NAMES.has(hostname) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/**
 * `scheme://host[:port]` in the one spelling browsers send (lower case, no default port, no
 * trailing dot), or null when `value` is not an http(s) origin (a path, user info, a query or
 * `null` make it one not).
 */
export function normalizeOrigin(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return null;
  }
  if (!(url.protocol in DEFAULT_PORTS)) return null;
  if (url.username || url.password || url.search || url.hash) return null;
  if (url.pathname !== "/") return null;
  const hostname = url.hostname.replace(/\.$/, "");
  return `${url.protocol}//${hostname}${url.port ? `:${url.port}` : ""}`;
}

/**
 * Whether `origin` names the host and port the request was sent to (`host`). The scheme is not
 * compared: the manager serves plain HTTP, a TLS proxy in front of it keeps the Host, and one host
 * and port are one server whatever the scheme.
 */
function sameOrigin(origin: string, host: Endpoint): boolean {
  const url = new URL(origin);
  const defaultPort = DEFAULT_PORTS[url.protocol] ?? "";
  const originPort = url.port || defaultPort;
  // A Host without a port was sent to the default port of the scheme the page used.
  const hostPort = host.port || defaultPort;
  return url.hostname === host.hostname && originPort === hostPort;
}

const shown = (value: string) => JSON.stringify(value.slice(0, 100));

/** Accepts or refuses a handshake from its `Origin` and `Host` headers, saying why it refuses. */
export function judgeHandshake(headers: HandshakeHeaders, policy: OriginPolicy): HandshakeDecision {
  const host = headers.host === undefined ? null : parseHostHeader(headers.host);
  if (!host) {
    return {
      ok: false,
      reason:
        headers.host === undefined
          ? "forbidden: the request has no Host header"
          : `forbidden: Host ${shown(headers.host)} is not a valid host name`,
    };
  }
  if (policy.loopbackOnly && !isLoopbackHostname(host.hostname)) {
    return {
      ok: false,
      reason: `forbidden: Host ${shown(headers.host ?? "")} is not a loopback name; this flow manager listens on loopback and answers only localhost, 127.0.0.0/8 and [::1]`,
    };
  }
  if (headers.origin === undefined) return { ok: true };
  const origin = normalizeOrigin(headers.origin);
  if (origin && (sameOrigin(origin, host) || policy.allowedOrigins.includes(origin))) {
    return { ok: true };
  }
  return {
    ok: false,
    reason: `forbidden: Origin ${shown(headers.origin)} is not allowed; add it to FLOW_CORS_ORIGINS to let that page connect`,
  };
}

/** Whether a cross-origin page may read the manager's HTTP answers (CORS for polling). */
export function isAllowedOrigin(origin: string, policy: OriginPolicy): boolean {
  const normalized = normalizeOrigin(origin);
  return normalized !== null && policy.allowedOrigins.includes(normalized);
}
