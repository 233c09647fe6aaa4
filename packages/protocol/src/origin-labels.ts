import { z } from "zod";

/**
 * cloudflared's `originRequest` options as labels: one table maps each label key (the part after
 * the prefix, also in the indexed form `N.<key>`) to the option's JSON name and value kind.
 * Durations are written into the ingress as integer seconds (cloudflared rejects "30s" there);
 * a label may say `30`, `30s`, `5m` or `1h`.
 */
export const OriginRequest = z.object({
  connectTimeout: z.number().int().nonnegative().optional(),
  tlsTimeout: z.number().int().nonnegative().optional(),
  tcpKeepAlive: z.number().int().nonnegative().optional(),
  keepAliveTimeout: z.number().int().nonnegative().optional(),
  keepAliveConnections: z.number().int().nonnegative().optional(),
  noHappyEyeballs: z.boolean().optional(),
  httpHostHeader: z.string().optional(),
  originServerName: z.string().optional(),
  matchSNItoHost: z.boolean().optional(),
  caPool: z.string().optional(),
  noTLSVerify: z.boolean().optional(),
  disableChunkedEncoding: z.boolean().optional(),
  http2Origin: z.boolean().optional(),
  proxyType: z.enum(["", "socks"]).optional(),
});
export type OriginRequest = z.infer<typeof OriginRequest>;

type Kind = "boolean" | "seconds" | "count" | "host" | "path" | "proxy";

/** Label key -> option (keys as DockFlare spells them where it has them). */
export const ORIGIN_LABELS: Record<string, { field: keyof OriginRequest; kind: Kind }> = {
  connect_timeout: { field: "connectTimeout", kind: "seconds" },
  tls_timeout: { field: "tlsTimeout", kind: "seconds" },
  tcp_keep_alive: { field: "tcpKeepAlive", kind: "seconds" },
  keep_alive_timeout: { field: "keepAliveTimeout", kind: "seconds" },
  keep_alive_connections: { field: "keepAliveConnections", kind: "count" },
  no_happy_eyeballs: { field: "noHappyEyeballs", kind: "boolean" },
  httpHostHeader: { field: "httpHostHeader", kind: "host" },
  originsrvname: { field: "originServerName", kind: "host" },
  match_sni_to_host: { field: "matchSNItoHost", kind: "boolean" },
  ca_pool: { field: "caPool", kind: "path" },
  no_tls_verify: { field: "noTLSVerify", kind: "boolean" },
  disable_chunked_encoding: { field: "disableChunkedEncoding", kind: "boolean" },
  http2_origin: { field: "http2Origin", kind: "boolean" },
  proxy_type: { field: "proxyType", kind: "proxy" },
};

const TRUE = new Set(["true", "1", "yes", "on"]);
const FALSE = new Set(["false", "0", "no", "off"]);
const HOST = /^[a-zA-Z0-9]([a-zA-Z0-9.-]{0,251}[a-zA-Z0-9])?$/;
const ABSOLUTE_PATH = /^\/[A-Za-z0-9._\-/]{0,1023}$/;
const UNIT_SECONDS: Record<string, number> = { "": 1, s: 1, m: 60, h: 3600 };
/** A day: no cloudflared timeout makes sense beyond it. */
const MAX_SECONDS = 86_400;

function parseBoolean(value: string): boolean | undefined {
  const v = value.trim().toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  return undefined;
}

/** Parses one option value; a string is the problem. */
export function parseOriginValue(
  kind: Kind,
  raw: string,
): { value: boolean | number | string } | string {
  const value = raw.trim();
  switch (kind) {
    case "boolean": {
      const parsed = parseBoolean(value);
      return parsed === undefined ? "must be true or false" : { value: parsed };
    }
    case "seconds": {
      const match = /^(\d{1,6})(s|m|h)?$/.exec(value);
      const seconds = match ? Number(match[1]) * (UNIT_SECONDS[match[2] ?? ""] ?? 1) : Number.NaN;
      if (!(seconds <= MAX_SECONDS)) {
        return "must be a whole number of seconds up to 86400 (30, 30s, 5m or 1h)";
      }
      return { value: seconds };
    }
    case "count": {
      if (!/^\d{1,5}$/.test(value)) return "must be a whole number from 0 to 99999";
      return { value: Number(value) };
    }
    case "host":
      return HOST.test(value) ? { value } : "must be a host name";
    case "path":
      return ABSOLUTE_PATH.test(value)
        ? { value }
        : "must be an absolute file path (letters, digits, '.', '_', '-', '/')";
    case "proxy":
      return value === "" || value === "socks" ? { value } : 'must be "socks" or empty';
  }
}
