import type { RuleRow } from "../db/schema.ts";

/** A rule that must not be routed, and why. */
export interface BlockedRule {
  rule_key: string;
  reason: string;
}

/**
 * The Access application domain of a rule: `host` for the whole hostname, `host/prefix` for a
 * plain path label (anchored by the parser as `^/prefix(/.*)?$`). A regex path cannot be said as
 * an Access domain, so it is refused (the caller blocks the rule).
 */
export function accessDomain(rule: Pick<RuleRow, "hostname" | "path">): string | { error: string } {
  if (rule.path === "" || rule.path === "^/") return rule.hostname;
  const match = /^\^(\/[A-Za-z0-9\-_~/%]*(?:\\\.[A-Za-z0-9\-_~/%]*)*)\(\/\.\*\)\?\$$/.exec(
    rule.path,
  );
  if (!match?.[1]) {
    return {
      error: `Access needs a plain path (such as /admin), not the regular expression ${rule.path}`,
    };
  }
  return `${rule.hostname}${match[1].replace(/\\\./g, ".")}`;
}

/** What a protected rule's ingress carries so cloudflared itself checks the Access token. */
export function originAccess(teamName: string, aud: string) {
  return { required: true, teamName, audTag: [aud] };
}

/**
 * The rules to route once Access is settled. A protected rule gets `originRequest.access`; a
 * blocked rule is never routed to its origin: it is dropped, or, when other rules of its hostname
 * stay published (so DNS will point at the tunnel), it answers 503 so its path cannot fall through
 * to a broader rule of that hostname.
 */
export function routedRules(
  rules: readonly RuleRow[],
  blocked: ReadonlyMap<string, string>,
  auds: ReadonlyMap<string, string>,
  teamName: string | undefined,
): RuleRow[] {
  // A protected rule without its audience tag (or team) is never routed as an open one.
  const isBlocked = (rule: RuleRow) =>
    blocked.has(rule.rule_key) ||
    (rule.access !== null && (!auds.has(rule.rule_key) || teamName === undefined));
  const published = new Set(rules.filter((r) => !isBlocked(r)).map((r) => r.hostname));
  const routed: RuleRow[] = [];
  for (const rule of rules) {
    if (isBlocked(rule)) {
      if (published.has(rule.hostname)) {
        routed.push({ ...rule, service: "http_status:503", origin_request: null, access: null });
      }
      continue;
    }
    const aud = auds.get(rule.rule_key);
    routed.push(
      rule.access && aud && teamName
        ? {
            ...rule,
            origin_request: { ...(rule.origin_request ?? {}), access: originAccess(teamName, aud) },
          }
        : rule,
    );
  }
  return routed;
}
