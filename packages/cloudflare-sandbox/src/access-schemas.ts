import { z } from "zod";

/** Access request bodies as the API validates them (see docs/cloudflare-sandbox.md, Access). */

const page = z.coerce.number().int().min(1).default(1);

/** A Go duration string such as `24h`, `30m`, `1h30m` (what `session_duration` takes). */
export const GoDurationSchema = z
  .string()
  .regex(/^(\d+(\.\d+)?(h|m|s|ms|us|µs|ns))+$/, "session_duration must be a duration such as 24h");

/** One rule object: exactly one selector. */
export const AccessRuleSchema = z.union([
  z.object({ email: z.object({ email: z.email() }) }).strict(),
  z.object({ email_domain: z.object({ domain: z.string().min(1) }) }).strict(),
  z.object({ email_list: z.object({ id: z.string().min(1) }) }).strict(),
  z.object({ group: z.object({ id: z.string().min(1) }) }).strict(),
  z.object({ everyone: z.object({}) }).strict(),
  z.object({ ip: z.object({ ip: z.string().min(1) }) }).strict(),
  z.object({ geo: z.object({ country_code: z.string().length(2) }) }).strict(),
  z.object({ service_token: z.object({ token_id: z.string().min(1) }) }).strict(),
  z.object({ any_valid_service_token: z.object({}) }).strict(),
  z.object({ login_method: z.object({ id: z.string().min(1) }) }).strict(),
]);
export type AccessRule = z.infer<typeof AccessRuleSchema>;

/** Selectors that name an identity (refused in a bypass policy). */
export const IDENTITY_SELECTORS = new Set([
  "email",
  "email_domain",
  "email_list",
  "group",
  "login_method",
]);

export const AccessPolicyBodySchema = z.object({
  name: z.string().trim().min(1, "name is required").max(350),
  decision: z.enum(["allow", "deny", "non_identity", "bypass"], {
    error: "decision must be one of allow, deny, non_identity, bypass",
  }),
  include: z.array(AccessRuleSchema).min(1, "include needs at least one rule"),
  exclude: z.array(AccessRuleSchema).default([]),
  require: z.array(AccessRuleSchema).default([]),
  session_duration: GoDurationSchema.optional(),
});
export type AccessPolicyBody = z.infer<typeof AccessPolicyBodySchema>;

const PolicyRefSchema = z.union([
  z.string().min(1),
  z.object({ id: z.string().min(1), precedence: z.number().int().min(1).optional() }),
]);

export const AccessAppBodySchema = z.object({
  type: z.string().optional(),
  name: z.string().max(350).optional(),
  domain: z.string().optional(),
  destinations: z
    .array(z.object({ type: z.literal("public").default("public"), uri: z.string().min(1) }))
    .optional(),
  self_hosted_domains: z.array(z.string()).optional(),
  session_duration: GoDurationSchema.optional(),
  app_launcher_visible: z.boolean().optional(),
  allowed_idps: z.array(z.string()).optional(),
  auto_redirect_to_identity: z.boolean().optional(),
  policies: z.array(PolicyRefSchema).optional(),
  tags: z.array(z.string()).optional(),
});
export type AccessAppBody = z.infer<typeof AccessAppBodySchema>;

export const AccessTagBodySchema = z.object({ name: z.string().trim().min(1).max(100) });

export const AccessListQuerySchema = z.object({
  page,
  per_page: z.coerce.number().int().min(1).max(1000).default(25),
  name: z.string().optional(),
  domain: z.string().optional(),
  aud: z.string().optional(),
  search: z.string().optional(),
  exact: z.enum(["true", "false"]).optional(),
});
