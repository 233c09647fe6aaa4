import type { RuleTarget, TunnelRules } from "@dockflow/protocol";
import type { z } from "zod";
import type { ManagedIngressRule } from "../cloudflare/index.ts";
import type { RuleRow } from "../db/schema.ts";

type Target = z.infer<typeof RuleTarget>;

/**
 * The rule as the agent sees it (seed 3.2 / 5.3): a `http://<container>:<port>` origin becomes
 * `{service: <container>, port}`; any other origin is passed as it is.
 */
export function ruleTarget(rule: RuleRow): Target {
  const match = /^http:\/\/([^/:]+):(\d+)$/.exec(rule.service);
  const target: Target =
    match && match[1] === rule.container_name
      ? { service: rule.container_name, port: Number(match[2]) }
      : { service: rule.service };
  if (rule.path) target.path = rule.path;
  if (rule.replicas !== null) {
    target.replicas = rule.replicas;
    if (rule.replicas > 1) target.load_balancer = "round_robin";
  }
  return target;
}

/** Hostname -> target for an agent's rules; with several paths on one hostname, the first wins. */
export function rulesMap(rules: RuleRow[]): z.infer<typeof TunnelRules> {
  const map: z.infer<typeof TunnelRules> = {};
  const sorted = [...rules].sort(
    (a, b) => a.hostname.localeCompare(b.hostname) || a.path.localeCompare(b.path),
  );
  for (const rule of sorted) map[rule.hostname] ??= ruleTarget(rule);
  return map;
}

/** The ingress rules to write for an agent: more specific paths before the bare hostname. */
export function ingressOf(rules: RuleRow[]): ManagedIngressRule[] {
  return [...rules]
    .sort(
      (a, b) =>
        a.hostname.localeCompare(b.hostname) ||
        Number(a.path === "") - Number(b.path === "") ||
        a.path.localeCompare(b.path),
    )
    .map((rule) => ({
      hostname: rule.hostname,
      service: rule.service,
      ...(rule.path ? { path: rule.path } : {}),
      ...(rule.origin_request ? { origin_request: rule.origin_request } : {}),
    }));
}

export const ingressKey = (rule: { hostname: string; path?: string | undefined }) =>
  `${rule.hostname} ${rule.path ?? ""}`;
