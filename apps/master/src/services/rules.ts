import {
  type IngressRuleSpec,
  type LabelError,
  parseLabels,
  type ReportedContainer,
} from "@dockflow/protocol";
import * as agents from "../db/repositories/agents.ts";
import { appendEvent } from "../db/repositories/event-log.ts";
import type { Executor } from "../db/repositories/executor.ts";
import * as placements from "../db/repositories/placements.ts";
import * as rules from "../db/repositories/rules.ts";
import type { RuleRow } from "../db/schema.ts";
import type { ChangeSet } from "./change-set.ts";
import { ingressKey } from "./rule-target.ts";

export interface RuleChanges {
  /** Whether desired state changed (the reconciler has work). */
  changed: boolean;
  warnings: LabelError[];
}

export interface RuleContext {
  tx: Executor;
  /** The transaction's changes for the operators' stream. */
  changes: ChangeSet;
  agentId: string;
  at: Date;
  labelPrefix: string;
  gracePeriodMs: number;
}

/** What a rule comes from: the Swarm service (stable across tasks and nodes) or the container name. */
export function sourceOf(container: { name: string; service_id?: string | undefined }): string {
  return container.service_id ? `service:${container.service_id}` : `container:${container.name}`;
}

const RUNNING = new Set(["running", "healthy", "starting", "up", "restarting"]);
const isRunning = (c: ReportedContainer) =>
  c.status === undefined || RUNNING.has(c.status.toLowerCase());

function specOf(rule: RuleRow): IngressRuleSpec {
  return {
    hostname: rule.hostname,
    service: rule.service,
    ...(rule.path ? { path: rule.path } : {}),
    ...(rule.zone_name ? { zone_name: rule.zone_name } : {}),
    ...(rule.origin_request ? { origin_request: rule.origin_request } : {}),
    ...(rule.access ? { access: rule.access } : {}),
  };
}

/**
 * The rules a started container asks for: from its labels, or, when it carries none (seed 6.3
 * reports a rescheduled task by name and service id only), from what the master already knows of
 * that service.
 */
async function desiredSpecs(
  ctx: RuleContext,
  container: ReportedContainer,
): Promise<{ specs: IngressRuleSpec[] | undefined; warnings: LabelError[] }> {
  const parsed = parseLabels(container.labels, {
    prefix: ctx.labelPrefix,
    containerName: container.name,
  });
  if (parsed.enabled) {
    return { specs: parsed.rules, warnings: [...parsed.errors, ...parsed.warnings] };
  }
  const hasLabels = Object.keys(container.labels).some((k) => k.startsWith(ctx.labelPrefix));
  if (hasLabels) return { specs: [], warnings: [] };
  const known = await rules.getRulesBySource(ctx.tx, sourceOf(container));
  if (known.length === 0) {
    return {
      specs: undefined,
      warnings: [
        {
          label: `${ctx.labelPrefix}enable`,
          message: "no labels, and nothing known about this service or container",
        },
      ],
    };
  }
  const specs = new Map(known.map((r) => [r.rule_key, specOf(r)]));
  return { specs: [...specs.values()], warnings: [] };
}

/** Makes `specs` this agent's active rules for the container's source; moves rules from other agents. */
async function claimRules(
  ctx: RuleContext,
  container: ReportedContainer,
  specs: IngressRuleSpec[],
  replicas: number | null,
): Promise<boolean> {
  const source = sourceOf(container);
  const keys = specs.map((s) => ingressKey(s));
  const existing = new Map(
    (await rules.getRulesByKeys(ctx.tx, keys)).map((r) => [r.rule_key, r] as const),
  );
  let changed = false;
  for (const spec of specs) {
    const key = ingressKey(spec);
    const fields = {
      hostname: spec.hostname,
      path: spec.path ?? "",
      service: spec.service,
      zone_name: spec.zone_name ?? null,
      origin_request: spec.origin_request ? JSON.stringify(spec.origin_request) : null,
      access: spec.access ? JSON.stringify(spec.access) : null,
      agent_id: ctx.agentId,
      source,
      container_name: container.name,
      state: "active" as const,
      grace_until: null,
    };
    const current = existing.get(key);
    if (!current) {
      await rules.insertRule(ctx.tx, {
        rule_key: key,
        ...fields,
        replicas,
        created_at: ctx.at,
        updated_at: ctx.at,
      });
      await log(ctx, "rule_created", { rule: key, source });
      ctx.changes.rule(key, "created");
      changed = true;
      continue;
    }
    const same =
      current.agent_id === ctx.agentId &&
      current.state === "active" &&
      current.service === fields.service &&
      current.source === source &&
      current.container_name === container.name &&
      current.zone_name === fields.zone_name &&
      JSON.stringify(current.origin_request) === JSON.stringify(spec.origin_request ?? null) &&
      JSON.stringify(current.access) === JSON.stringify(spec.access ?? null) &&
      (replicas === null || current.replicas === replicas);
    if (same) continue;
    await rules.updateRule(ctx.tx, key, {
      ...fields,
      replicas: replicas ?? (current.agent_id === ctx.agentId ? current.replicas : null),
      updated_at: ctx.at,
    });
    if (current.agent_id !== ctx.agentId) {
      await log(ctx, "rule_migrated", {
        rule: key,
        from: current.agent_id,
        to: ctx.agentId,
        ...(container.migration_source ? { migration_source: container.migration_source } : {}),
      });
    } else if (current.state === "grace") {
      await log(ctx, "rule_revived", { rule: key });
    }
    ctx.changes.rule(key, "changed");
    changed = true;
  }
  // Rules this source had here but no longer asks for (relabelled): into the grace period.
  const wanted = new Set(keys);
  const stale = (await rules.listRules(ctx.tx, { agentId: ctx.agentId })).filter(
    (r) => r.source === source && !wanted.has(r.rule_key),
  );
  if (await graceRules(ctx, stale)) changed = true;
  return changed;
}

async function graceRules(ctx: RuleContext, candidates: RuleRow[]): Promise<boolean> {
  const until = new Date(ctx.at.getTime() + ctx.gracePeriodMs);
  let changed = false;
  for (const rule of candidates) {
    if (rule.state === "grace") continue;
    await rules.updateRule(ctx.tx, rule.rule_key, {
      state: "grace",
      grace_until: until,
      updated_at: ctx.at,
    });
    await log(ctx, "rule_grace", { rule: rule.rule_key, until: until.toISOString() });
    ctx.changes.rule(rule.rule_key, "grace");
    changed = true;
  }
  return changed;
}

function log(ctx: RuleContext, type: string, payload: Record<string, unknown>) {
  return appendEvent(ctx.tx, { agent_id: ctx.agentId, type, payload, created_at: ctx.at });
}

/**
 * `container_start`: the container's rules become this agent's, active (a rule in grace revives).
 * A Swarm task started on another node does not take its service's hostname from an owner that is
 * online and serves it (replicas spread over nodes, scaling): only a stated migration
 * (`migration_source`, seed 6.3) does; otherwise the hostname moves when the owner's rule enters
 * the grace period or the owner goes offline (see applyStatusReport).
 */
export async function applyContainerStart(
  ctx: RuleContext,
  container: ReportedContainer,
): Promise<RuleChanges> {
  const { specs, warnings } = await desiredSpecs(ctx, container);
  if (specs === undefined) return { changed: false, warnings };
  if (container.service_id && !container.migration_source) {
    const others = (await rules.getRulesBySource(ctx.tx, sourceOf(container))).filter(
      (r) => r.agent_id !== ctx.agentId,
    );
    if (others.length > 0 && !(await mayTakeOver(ctx, others))) return { changed: false, warnings };
  }
  return { changed: await claimRules(ctx, container, specs, null), warnings };
}

/** `container_stop`: this agent's rules from that source enter the grace period. */
export async function applyContainerStop(
  ctx: RuleContext,
  container: ReportedContainer,
): Promise<RuleChanges> {
  const source = sourceOf(container);
  const mine = (await rules.listRules(ctx.tx, { agentId: ctx.agentId })).filter(
    (r) => r.source === source,
  );
  return { changed: await graceRules(ctx, mine), warnings: [] };
}

/**
 * `status_report`: the full list of what runs on the agent's node. Rules whose source runs are
 * active; rules whose source is gone enter the grace period; sources the master has no rules for
 * yet are handled like a start. A hostname owned by another agent moves here only when that agent
 * is offline or its rule is in grace (a Swarm service with replicas on several nodes must not flap
 * between tunnels). Each agent's counts are kept as placements: a rule's replicas are its source's
 * running tasks on all online agents' nodes, whichever agent owns it.
 */
export async function applyStatusReport(
  ctx: RuleContext,
  containers: ReportedContainer[],
): Promise<RuleChanges> {
  const running = new Map<string, { container: ReportedContainer; count: number }>();
  for (const container of containers) {
    if (!isRunning(container)) continue;
    const source = sourceOf(container);
    const entry = running.get(source);
    if (entry) entry.count += 1;
    else running.set(source, { container, count: 1 });
  }
  const counts = new Map([...running].map(([source, { count }]) => [source, count]));
  const moved = new Set(await placements.replacePlacements(ctx.tx, ctx.agentId, counts, ctx.at));
  const totals = new Map<string, number>();
  const total = async (source: string) => {
    let value = totals.get(source);
    if (value === undefined) {
      value = await placements.onlineReplicas(ctx.tx, source);
      totals.set(source, value);
    }
    return value;
  };
  let changed = false;
  const warnings: LabelError[] = [];
  const mine = await rules.listRules(ctx.tx, { agentId: ctx.agentId });
  const mineBySource = new Set(mine.map((r) => r.source));
  const gone: RuleRow[] = [];
  for (const rule of mine) {
    if (!running.has(rule.source)) {
      gone.push(rule);
      continue;
    }
    const replicas = await total(rule.source);
    if (rule.state !== "active" || rule.replicas !== replicas) {
      await rules.updateRule(ctx.tx, rule.rule_key, {
        state: "active",
        grace_until: null,
        replicas,
        updated_at: ctx.at,
      });
      if (rule.state === "grace") await log(ctx, "rule_revived", { rule: rule.rule_key });
      ctx.changes.rule(rule.rule_key, "changed");
      changed = true;
    }
  }
  if (await graceRules(ctx, gone)) changed = true;

  for (const [source, { container }] of running) {
    if (mineBySource.has(source)) continue;
    const elsewhere = await rules.getRulesBySource(ctx.tx, source);
    if (elsewhere.length > 0 && !(await mayTakeOver(ctx, elsewhere))) continue;
    const { specs, warnings: w } = await desiredSpecs(ctx, container);
    if (specs === undefined || specs.length === 0) continue;
    warnings.push(...w);
    if (await claimRules(ctx, container, specs, await total(source))) changed = true;
  }
  // Another agent's rules whose replica count this report changed.
  for (const source of moved) {
    if (mineBySource.has(source)) continue;
    for (const rule of await rules.getRulesBySource(ctx.tx, source)) {
      if (rule.agent_id === ctx.agentId || rule.state !== "active") continue;
      const replicas = await total(source);
      if (rule.replicas === replicas) continue;
      await rules.updateRule(ctx.tx, rule.rule_key, { replicas, updated_at: ctx.at });
      changed = true;
    }
  }
  return { changed, warnings };
}

async function mayTakeOver(ctx: RuleContext, owned: RuleRow[]): Promise<boolean> {
  for (const rule of owned) {
    if (rule.state === "grace") continue;
    const owner = await agents.getAgent(ctx.tx, rule.agent_id);
    if (owner && owner.status === "online") return false;
  }
  return true;
}
