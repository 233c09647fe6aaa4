import { z } from "zod";

/** zod issues as one readable line (`name: Too small ...; ttl: ...`). */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) =>
      issue.path.length ? `${issue.path.join(".")}: ${issue.message}` : issue.message,
    )
    .join("; ");
}

const page = z.coerce.number().int().min(1).default(1);
const perPage = (max: number, fallback: number) =>
  z.coerce.number().int().min(1).max(max).default(fallback);

// ---- Tunnels -------------------------------------------------------------------------------

export const TunnelStatusSchema = z.enum(["inactive", "healthy", "degraded", "down"]);
export type TunnelStatus = z.infer<typeof TunnelStatusSchema>;

export const ConfigSrcSchema = z.enum(["local", "cloudflare"]);
export type ConfigSrc = z.infer<typeof ConfigSrcSchema>;

/** At least 32 bytes, base64 encoded (as the API requires for `tunnel_secret`). */
const TunnelSecretSchema = z
  .string()
  .refine(
    (value) => /^[A-Za-z0-9+/]+={0,2}$/.test(value) && Buffer.from(value, "base64").length >= 32,
    "tunnel_secret must be at least 32 bytes encoded as base64",
  );

export const TunnelCreateBodySchema = z.object({
  name: z.string().trim().min(1, "tunnel name is required").max(255),
  config_src: ConfigSrcSchema.default("local"),
  tunnel_secret: TunnelSecretSchema.optional(),
});

export const TunnelEditBodySchema = z.object({
  name: z.string().trim().min(1, "tunnel name cannot be empty").max(255).optional(),
  tunnel_secret: TunnelSecretSchema.optional(),
});

export const TunnelListQuerySchema = z.object({
  name: z.string().optional(),
  is_deleted: z.stringbool().optional(),
  uuid: z.string().optional(),
  status: TunnelStatusSchema.optional(),
  include_prefix: z.string().optional(),
  exclude_prefix: z.string().optional(),
  existed_at: z.iso.datetime({ offset: true }).optional(),
  page,
  per_page: perPage(1000, 20),
});

// ---- Tunnel configuration -------------------------------------------------------------------

/** Durations inside `originRequest` are integer seconds (not Go duration strings). */
const seconds = z.number().int("must be an integer number of seconds").nonnegative();

export const OriginRequestSchema = z.looseObject({
  connectTimeout: seconds.optional(),
  tlsTimeout: seconds.optional(),
  tcpKeepAlive: seconds.optional(),
  keepAliveTimeout: seconds.optional(),
  keepAliveConnections: z.number().int().nonnegative().optional(),
  noHappyEyeballs: z.boolean().optional(),
  noTLSVerify: z.boolean().optional(),
  originServerName: z.string().optional(),
  httpHostHeader: z.string().optional(),
  http2Origin: z.boolean().optional(),
  disableChunkedEncoding: z.boolean().optional(),
  // cloudflared spells it `matchSNItoHost`; some documentation writes `matchSNIToHost`.
  matchSNItoHost: z.boolean().optional(),
  matchSNIToHost: z.boolean().optional(),
  caPool: z.string().optional(),
  proxyType: z.string().optional(),
  access: z
    .looseObject({
      audTag: z.array(z.string()),
      teamName: z.string(),
      required: z.boolean().optional(),
    })
    .optional(),
});

export const IngressRuleSchema = z.looseObject({
  hostname: z.string().optional(),
  service: z.string().min(1, "service is required"),
  path: z.string().optional(),
  originRequest: OriginRequestSchema.optional(),
});
export type IngressRule = z.infer<typeof IngressRuleSchema>;

export const TunnelConfigSchema = z.looseObject({
  ingress: z.array(IngressRuleSchema).min(1, "at least one ingress rule is required"),
  originRequest: OriginRequestSchema.optional(),
  "warp-routing": z.looseObject({ enabled: z.boolean().optional() }).optional(),
});
export type TunnelConfig = z.infer<typeof TunnelConfigSchema>;

export const ConfigurationPutBodySchema = z.object({ config: TunnelConfigSchema });

export const ConnectionsDeleteQuerySchema = z.object({ client_id: z.string().optional() });

// ---- Zones ----------------------------------------------------------------------------------

export const ZoneListQuerySchema = z.object({
  name: z.string().optional(),
  status: z.string().optional(),
  "account.id": z.string().optional(),
  "account.name": z.string().optional(),
  page,
  per_page: perPage(50, 20),
});

// ---- DNS records ----------------------------------------------------------------------------

export const DnsRecordTypeSchema = z.enum([
  "A",
  "AAAA",
  "CAA",
  "CERT",
  "CNAME",
  "DNSKEY",
  "DS",
  "HTTPS",
  "LOC",
  "MX",
  "NAPTR",
  "NS",
  "OPENPGPKEY",
  "PTR",
  "SMIMEA",
  "SRV",
  "SSHFP",
  "SVCB",
  "TLSA",
  "TXT",
  "URI",
]);
export type DnsRecordType = z.infer<typeof DnsRecordTypeSchema>;

export const DnsRecordBodySchema = z.object({
  type: DnsRecordTypeSchema,
  name: z.string().min(1).max(255),
  content: z.string().optional(),
  ttl: z.number().int().default(1),
  proxied: z.boolean().optional(),
  priority: z.number().int().min(0).max(65535).optional(),
  comment: z.string().max(100).nullable().optional(),
  tags: z.array(z.string()).optional(),
  settings: z.record(z.string(), z.unknown()).optional(),
  data: z.record(z.string(), z.unknown()).optional(),
});
export type DnsRecordBody = z.infer<typeof DnsRecordBodySchema>;

export const DnsRecordPatchBodySchema = DnsRecordBodySchema.partial().extend({
  ttl: z.number().int().optional(),
});

const orderSchema = z.enum(["type", "name", "content", "ttl", "proxied"]).optional();

export const DnsRecordListQuerySchema = z.object({
  type: DnsRecordTypeSchema.optional(),
  name: z.string().optional(),
  "name.exact": z.string().optional(),
  "name.contains": z.string().optional(),
  "name.startswith": z.string().optional(),
  "name.endswith": z.string().optional(),
  content: z.string().optional(),
  "content.exact": z.string().optional(),
  "content.contains": z.string().optional(),
  "content.startswith": z.string().optional(),
  "content.endswith": z.string().optional(),
  proxied: z.stringbool().optional(),
  match: z.enum(["any", "all"]).default("all"),
  order: orderSchema,
  direction: z.enum(["asc", "desc"]).default("asc"),
  page,
  per_page: perPage(5_000_000, 100),
});
