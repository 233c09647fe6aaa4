import { z } from "zod";

/**
 * Cloudflare Access from labels (`<prefix>access.*`, also `<prefix>N.access.*`). There is no
 * default that opens anything: any access label without `access.policy` is an error, `allow`
 * needs at least one identity rule, `bypass` takes no identity rule and `deny` takes nothing.
 */
export const AccessDecision = z.enum(["allow", "bypass", "deny"]);
export type AccessDecision = z.infer<typeof AccessDecision>;

/** A reusable policy's name as labels and `/api/v2/access/policies` spell it. */
export const AccessPolicyName = z
  .string()
  .regex(
    /^[a-z0-9]([a-z0-9_-]{0,62}[a-z0-9])?$/,
    "a policy name is 1 to 64 lower-case letters, digits, '-' or '_'",
  );

/** A Go duration as Cloudflare takes it for `session_duration` (e.g. `30m`, `24h`, `1h30m`). */
export const SessionDuration = z
  .string()
  .regex(/^(\d{1,5}h)?(\d{1,5}m)?(\d{1,5}s)?$/, "must be a duration such as 30m, 24h or 1h30m")
  .refine((v) => v !== "", "must be a duration such as 30m, 24h or 1h30m");

export const AccessSpec = z.object({
  policy: AccessDecision,
  emails: z.array(z.email()).optional(),
  email_domains: z.array(z.string()).optional(),
  /** Names of reusable policies defined in the master. */
  groups: z.array(AccessPolicyName).optional(),
  /** Identity provider ids (empty: every IdP of the account). */
  idps: z.array(z.string()).optional(),
  session_duration: SessionDuration.optional(),
  app_launcher_visible: z.boolean().optional(),
  name: z.string().optional(),
});
export type AccessSpec = z.infer<typeof AccessSpec>;

/** The keys after `access.`. */
export const ACCESS_KEYS = [
  "policy",
  "emails",
  "email_domains",
  "groups",
  "idps",
  "session_duration",
  "app_launcher_visible",
  "name",
] as const;
type AccessKey = (typeof ACCESS_KEYS)[number];

const DOMAIN = /^(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$/;
const IDP_ID = /^[A-Za-z0-9-]{1,64}$/;
const NAME = /^[^\p{Cc}]{1,200}$/u;

function list(raw: string): string[] {
  return raw
    .split(",")
    .map((v) => v.trim())
    .filter((v) => v !== "");
}

/** One access problem: the label at fault and why. */
export interface AccessProblem {
  key: AccessKey | "*";
  message: string;
}

/**
 * Builds the access spec of one hostname from its `access.*` values (label key -> raw value).
 * Returns undefined when there are none, the spec, or the first problem.
 */
export function parseAccess(
  values: ReadonlyMap<AccessKey, string>,
): AccessSpec | AccessProblem | undefined {
  if (values.size === 0) return undefined;
  const policy = values.get("policy");
  if (policy === undefined) {
    return {
      key: "policy",
      message: "access labels need access.policy (allow, bypass or deny); there is no default",
    };
  }
  const decision = AccessDecision.safeParse(policy.trim().toLowerCase());
  if (!decision.success) {
    return {
      key: "policy",
      message: `access.policy must be allow, bypass or deny, not "${policy}"`,
    };
  }
  const spec: AccessSpec = { policy: decision.data };
  const emails = values.get("emails");
  if (emails !== undefined) {
    const parsed = list(emails).map((e) => e.toLowerCase());
    const bad = parsed.find((e) => !z.email().safeParse(e).success);
    if (bad !== undefined || parsed.length === 0) {
      return { key: "emails", message: `not a comma-separated list of emails: "${bad ?? ""}"` };
    }
    spec.emails = parsed;
  }
  const domains = values.get("email_domains");
  if (domains !== undefined) {
    const parsed = list(domains).map((d) => d.toLowerCase().replace(/^@/, ""));
    const bad = parsed.find((d) => !DOMAIN.test(d));
    if (bad !== undefined || parsed.length === 0) {
      return {
        key: "email_domains",
        message: `not a comma-separated list of domains: "${bad ?? ""}"`,
      };
    }
    spec.email_domains = parsed;
  }
  const groups = values.get("groups");
  if (groups !== undefined) {
    const parsed = list(groups);
    const bad = parsed.find((g) => !AccessPolicyName.safeParse(g).success);
    if (bad !== undefined || parsed.length === 0) {
      return {
        key: "groups",
        message: `not a comma-separated list of policy names: "${bad ?? ""}"`,
      };
    }
    spec.groups = parsed;
  }
  const idps = values.get("idps");
  if (idps !== undefined) {
    const parsed = list(idps);
    const bad = parsed.find((i) => !IDP_ID.test(i));
    if (bad !== undefined || parsed.length === 0) {
      return {
        key: "idps",
        message: `not a comma-separated list of identity provider ids: "${bad ?? ""}"`,
      };
    }
    spec.idps = parsed;
  }
  const duration = values.get("session_duration");
  if (duration !== undefined) {
    const parsed = SessionDuration.safeParse(duration.trim());
    if (!parsed.success) {
      return { key: "session_duration", message: "must be a duration such as 30m, 24h or 1h30m" };
    }
    spec.session_duration = parsed.data;
  }
  const visible = values.get("app_launcher_visible");
  if (visible !== undefined) {
    const v = visible.trim().toLowerCase();
    if (v !== "true" && v !== "false") {
      return { key: "app_launcher_visible", message: "must be true or false" };
    }
    spec.app_launcher_visible = v === "true";
  }
  const name = values.get("name");
  if (name !== undefined) {
    if (!NAME.test(name.trim())) {
      return { key: "name", message: "must be 1 to 200 characters with no control characters" };
    }
    spec.name = name.trim();
  }
  return accessConflict(spec) ?? spec;
}

/** The combinations refused: bypass with identity rules, deny with anything, allow with none. */
export function accessConflict(spec: AccessSpec): AccessProblem | undefined {
  const identity = ["emails", "email_domains", "groups", "idps"] as const;
  const given = identity.filter((k) => spec[k] !== undefined);
  if (spec.policy === "bypass" && given.length > 0) {
    return {
      key: "policy",
      message: `access.policy=bypass lets everyone in and cannot be mixed with identity rules (${given.map((k) => `access.${k}`).join(", ")})`,
    };
  }
  if (spec.policy === "deny") {
    const extra = [...given, ...(["session_duration", "app_launcher_visible"] as const)].filter(
      (k) => spec[k] !== undefined,
    );
    if (extra.length > 0) {
      return {
        key: "policy",
        message: `access.policy=deny refuses everyone and takes no other access label (${extra.map((k) => `access.${k}`).join(", ")})`,
      };
    }
  }
  if (spec.policy === "allow" && !spec.emails && !spec.email_domains && !spec.groups) {
    return {
      key: "policy",
      message:
        "access.policy=allow needs access.emails, access.email_domains or access.groups (whom to allow)",
    };
  }
  return undefined;
}
