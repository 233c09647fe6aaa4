import { createHash } from "node:crypto";
import type { ReconcileResult } from "@dockflow/protocol";
import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { CloudflareGateway } from "../cloudflare/index.ts";
import * as accessApps from "../db/repositories/access-apps.ts";
import { getAgent, listAgents } from "../db/repositories/agents.ts";
import { recordChanges } from "../db/repositories/changes.ts";
import * as dns from "../db/repositories/dns-records.ts";
import { appendEvent } from "../db/repositories/event-log.ts";
import { deleteExpiredRules, listRules } from "../db/repositories/rules.ts";
import {
  deleteTunnelRow,
  ensureTunnelRow,
  getTunnel,
  listTunnels,
  type TunnelPatch,
  updateTunnel,
} from "../db/repositories/tunnels.ts";
import type { AccessAppRow, Database, RuleRow, TunnelRow } from "../db/schema.ts";
import type { MasterMetrics } from "../metrics.ts";
import type { CommandQueue } from "../queue/command-queue.ts";
import { accessDomain, routedRules } from "./access-plan.ts";
import { withChanges } from "./change-set.ts";
import { ingressKey, ingressOf, rulesMap } from "./rule-target.ts";
import { ruleRemoved, sameTunnelView, tunnelView } from "./views.ts";

export interface ReconcilerOptions {
  db: Kysely<Database>;
  gateway: CloudflareGateway;
  queue: CommandQueue;
  clock: () => Date;
  logger: Logger;
  tunnelNamePrefix: string;
  metrics: MasterMetrics;
  /** Backoff after a failed pass: base doubles per failure up to max. */
  retry?: { baseMs: number; maxMs: number };
}

/** JSON with object keys sorted, so values read back from jsonb compare equal. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

const emptyResult = (): ReconcileResult => ({
  rules_expired: 0,
  tunnels_created: 0,
  tunnels_deleted: 0,
  ingress_updated: 0,
  dns_written: 0,
  dns_removed: 0,
  commands_enqueued: 0,
  errors: [],
});

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Drives Cloudflare and the agents towards the desired state recorded in the database: expired
 * grace periods, one tunnel per agent (start_tunnel / update_tunnel_config commands), ingress,
 * DNS, and the removal of tunnels whose agent is gone. Every step is idempotent; a failed step is
 * retried by a later pass (with backoff) and never loses the desired state.
 *
 * Event-driven passes skip tunnels and records already in their desired state; full passes
 * (startup, the periodic one, `POST /reconcile`) verify everything against Cloudflare.
 */
export class Reconciler {
  private chain: Promise<unknown> = Promise.resolve();
  private queued: { full: boolean; promise: Promise<ReconcileResult> } | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private intervalTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private stopped = false;

  constructor(private readonly options: ReconcilerOptions) {}

  /** Runs a pass after the current one (passes never overlap); concurrent requests share one. */
  run(full = true): Promise<ReconcileResult> {
    if (this.queued) {
      this.queued.full ||= full;
      return this.queued.promise;
    }
    const entry = { full, promise: Promise.resolve(emptyResult()) };
    entry.promise = this.chain.then(() => {
      this.queued = undefined;
      return this.measuredPass(entry.full);
    });
    this.queued = entry;
    this.chain = entry.promise.then(
      (result) => this.settled(result),
      (error: unknown) =>
        this.settled({ ...emptyResult(), errors: [{ scope: "pass", message: messageOf(error) }] }),
    );
    return entry.promise;
  }

  /** Requests a pass in the background (after an event changed desired state). */
  schedule(full = false): void {
    if (this.stopped) return;
    this.run(full).catch(() => undefined);
  }

  /** A full pass now (in the background) and every `intervalMs`. */
  start(intervalMs: number): void {
    this.schedule(true);
    this.intervalTimer = setInterval(() => this.schedule(true), intervalMs);
    this.intervalTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.intervalTimer) clearInterval(this.intervalTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.chain;
  }

  private settled(result: ReconcileResult) {
    if (result.errors.length === 0) {
      this.failures = 0;
      return;
    }
    this.options.logger.warn({ errors: result.errors }, "reconcile incomplete; will retry");
    this.recordFailures(result.errors);
    if (this.stopped || this.retryTimer) return;
    const { baseMs, maxMs } = this.options.retry ?? { baseMs: 1_000, maxMs: 60_000 };
    const delay = Math.min(maxMs, baseMs * 2 ** this.failures++);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.schedule(false);
    }, delay);
    this.retryTimer.unref();
  }

  /** A pass, counted and timed; a pass with a failed step (or that threw) is a failure. */
  private async measuredPass(full: boolean): Promise<ReconcileResult> {
    const { reconcileRuns, reconcileFailures, reconcileDuration } = this.options.metrics;
    const kind = full ? "full" : "event";
    const done = reconcileDuration.startTimer({ kind });
    let failed = true;
    try {
      const result = await this.pass(full);
      failed = result.errors.length > 0;
      return result;
    } finally {
      done();
      reconcileRuns.inc({ kind });
      if (failed) reconcileFailures.inc({ kind });
    }
  }

  private async pass(full: boolean): Promise<ReconcileResult> {
    const { db, clock, logger } = this.options;
    const result = emptyResult();
    const at = clock();

    const expired = await withChanges(db, at, async (tx, changes) => {
      const rows = await deleteExpiredRules(tx, at);
      for (const rule of rows) {
        await appendEvent(tx, {
          agent_id: rule.agent_id,
          type: "rule_expired",
          payload: { rule: rule.rule_key },
          created_at: at,
        });
      }
      changes.add(...rows.map(ruleRemoved));
      return rows;
    });
    result.rules_expired = expired.length;

    const [agents, allRules, tunnels] = await Promise.all([
      listAgents(db),
      listRules(db),
      listTunnels(db),
    ]);
    // Access first: a rule is routed only once its application exists (or it needs none).
    const access = await this.reconcileAccess(allRules, full, result);
    const rules = routedRules(allRules, access.blocked, access.auds, access.teamName);
    const rulesByAgent = new Map<string, RuleRow[]>();
    for (const rule of rules) {
      const list = rulesByAgent.get(rule.agent_id) ?? [];
      list.push(rule);
      rulesByAgent.set(rule.agent_id, list);
    }
    const tunnelByAgent = new Map(tunnels.map((t) => [t.agent_id, t]));
    const ownerOfKey = new Map(rules.map((r) => [r.rule_key, r.agent_id]));
    const tunnelIdOf = new Map<string, string>();
    const heldBack = new Map<string, { tunnelId: string; keys: string[] }>();

    for (const agent of agents) {
      const agentRules = rulesByAgent.get(agent.id) ?? [];
      const row = tunnelByAgent.get(agent.id);
      if (!row && agentRules.length === 0) continue;
      try {
        const tunnel = await this.reconcileTunnel(
          agent.id,
          agentRules,
          row,
          full,
          result,
          ownerOfKey,
        );
        if (tunnel.tunnelId) tunnelIdOf.set(agent.id, tunnel.tunnelId);
        if (tunnel.tunnelId && tunnel.held.length > 0) {
          heldBack.set(agent.id, { tunnelId: tunnel.tunnelId, keys: tunnel.held });
        }
      } catch (error) {
        if (row?.tunnel_id) tunnelIdOf.set(agent.id, row.tunnel_id);
        await this.fail(result, `tunnel:${agent.id}`, error, agent.id);
      }
    }

    const dnsFailed = await this.reconcileDns(rules, tunnelIdOf, full, result);

    // Ingress kept on the old tunnel while its hostname's DNS moved to the new one.
    for (const [agentId, { tunnelId, keys }] of heldBack) {
      const releasable = keys.filter((k) => !dnsFailed.has(k.split(" ")[0] ?? ""));
      if (releasable.length === 0) continue;
      try {
        const desired = ingressOf(rulesByAgent.get(agentId) ?? []);
        const { changed } = await this.options.gateway.syncIngress(tunnelId, desired, [
          ...desired.map(ingressKey),
          ...releasable,
        ]);
        if (changed) result.ingress_updated += 1;
        const stillHeld = keys.filter((k) => !releasable.includes(k));
        await this.saveTunnel(agentId, {
          applied_keys: [...desired.map(ingressKey), ...stillHeld],
          applied_hash: this.digest(desired, stillHeld),
        });
      } catch (error) {
        await this.fail(result, `tunnel:${agentId}`, error, agentId);
      }
    }

    // Last on the way out: applications whose rule is gone or no longer protected.
    await this.removeStaleAccessApps(allRules, access.rows, result);

    const liveAgents = new Set(agents.map((a) => a.id));
    for (const tunnel of tunnels) {
      if (liveAgents.has(tunnel.agent_id)) continue;
      try {
        if (tunnel.tunnel_id) await this.options.gateway.deleteTunnel(tunnel.tunnel_id);
        await withChanges(db, clock(), async (tx, changes) => {
          await deleteTunnelRow(tx, tunnel.agent_id);
          changes.add({ kind: "tunnel", action: "removed", agent_id: tunnel.agent_id });
        });
        result.tunnels_deleted += 1;
      } catch (error) {
        await this.fail(result, `tunnel:${tunnel.agent_id}`, error, tunnel.agent_id);
      }
    }
    logger.debug({ result, full }, "reconcile pass done");
    return result;
  }

  /**
   * Creates or updates the Access application of every protected rule. A rule whose application
   * cannot be written (or whose path Access cannot express, or when the team name is unknown) is
   * blocked: it is not routed and gets no DNS record.
   */
  private async reconcileAccess(
    rules: RuleRow[],
    full: boolean,
    result: ReconcileResult,
  ): Promise<{
    blocked: Map<string, string>;
    auds: Map<string, string>;
    teamName: string | undefined;
    rows: Map<string, AccessAppRow>;
  }> {
    const { db, gateway, clock } = this.options;
    const blocked = new Map<string, string>();
    const auds = new Map<string, string>();
    const rows = new Map((await accessApps.listAccessApps(db)).map((r) => [r.rule_key, r]));
    const protectedRules = rules.filter((r) => r.access !== null);
    if (protectedRules.length === 0) return { blocked, auds, teamName: undefined, rows };
    let teamName: string | undefined;
    try {
      teamName = await gateway.teamName();
    } catch (error) {
      await this.fail(result, "access:organization", error);
      for (const rule of protectedRules) {
        blocked.set(rule.rule_key, `the Zero Trust team is unknown: ${messageOf(error)}`);
      }
      return { blocked, auds, teamName, rows };
    }
    for (const rule of protectedRules) {
      const spec = rule.access;
      if (!spec) continue;
      const domain = accessDomain(rule);
      if (typeof domain !== "string") {
        blocked.set(rule.rule_key, domain.error);
        continue;
      }
      const digest = createHash("sha256").update(canonical({ domain, spec })).digest("hex");
      const existing = rows.get(rule.rule_key);
      if (existing && existing.digest === digest && !full) {
        auds.set(rule.rule_key, existing.aud);
        continue;
      }
      try {
        const ref = await gateway.ensureAccessApp({ domain, access: spec }, existing);
        const row = { rule_key: rule.rule_key, ...ref, digest, updated_at: clock() };
        await accessApps.upsertAccessApp(db, row);
        rows.set(rule.rule_key, row);
        auds.set(rule.rule_key, ref.aud);
      } catch (error) {
        blocked.set(
          rule.rule_key,
          `the Access application could not be written: ${messageOf(error)}`,
        );
        await this.fail(result, `access:${rule.rule_key}`, error);
      }
    }
    return { blocked, auds, teamName, rows };
  }

  private async removeStaleAccessApps(
    rules: RuleRow[],
    rows: Map<string, AccessAppRow>,
    result: ReconcileResult,
  ): Promise<void> {
    const wanted = new Set(rules.filter((r) => r.access !== null).map((r) => r.rule_key));
    for (const row of rows.values()) {
      if (wanted.has(row.rule_key)) continue;
      try {
        await this.options.gateway.deleteAccessApp(row);
        await accessApps.deleteAccessApp(this.options.db, row.rule_key);
      } catch (error) {
        await this.fail(result, `access:${row.rule_key}`, error);
      }
    }
  }

  private digest(desired: unknown, held: string[]): string {
    return createHash("sha256").update(canonical({ desired, held })).digest("hex");
  }

  private async reconcileTunnel(
    agentId: string,
    rules: RuleRow[],
    existing: TunnelRow | undefined,
    full: boolean,
    result: ReconcileResult,
    ownerOfKey: Map<string, string>,
  ): Promise<{ tunnelId: string | null; held: string[] }> {
    const { db, gateway, queue, clock } = this.options;
    let row = existing;
    if (!row) {
      const at = clock();
      row = await withChanges(db, at, async (tx, changes) => {
        await ensureTunnelRow(tx, agentId, `${this.options.tunnelNamePrefix}${agentId}`, at);
        const created = await getTunnel(tx, agentId);
        if (created)
          changes.add({ kind: "tunnel", action: "changed", tunnel: tunnelView(created, true) });
        return created;
      });
      if (!row) throw new Error("tunnel row vanished");
    }
    let tunnelId = row.tunnel_id;
    if (!tunnelId) {
      if (rules.length === 0) return { tunnelId: null, held: [] };
      tunnelId = (await gateway.ensureTunnel(row.name)).id;
      await this.saveTunnel(agentId, { tunnel_id: tunnelId, last_error: null });
      result.tunnels_created += 1;
    }

    const map = rulesMap(rules);
    if (row.rules_sent === null ? rules.length > 0 : canonical(row.rules_sent) !== canonical(map)) {
      const command =
        row.rules_sent === null
          ? {
              action: "start_tunnel" as const,
              tunnel_id: tunnelId,
              tunnel_name: row.name,
              token: await gateway.getTunnelToken(tunnelId),
              rules: map,
            }
          : { action: "update_tunnel_config" as const, tunnel_id: tunnelId, rules: map };
      await db.transaction().execute(async (tx) => {
        await queue.enqueueIn(tx, agentId, [command]);
        await updateTunnel(tx, agentId, { rules_sent: map }, clock());
      });
      queue.committed([agentId]);
      result.commands_enqueued += 1;
    }

    const desired = ingressOf(rules);
    const desiredKeys = desired.map(ingressKey);
    const held = row.applied_keys.filter(
      (k) => !desiredKeys.includes(k) && (ownerOfKey.get(k) ?? agentId) !== agentId,
    );
    const hash = this.digest(desired, held);
    if (full || row.applied_hash !== hash) {
      const owned = [
        ...new Set([...row.applied_keys.filter((k) => !held.includes(k)), ...desiredKeys]),
      ];
      const { changed } = await gateway.syncIngress(tunnelId, desired, owned);
      if (changed) result.ingress_updated += 1;
      await this.saveTunnel(agentId, {
        applied_keys: [...desiredKeys, ...held],
        applied_hash: hash,
        last_error: null,
      });
    }
    return { tunnelId, held };
  }

  /** Returns the hostnames whose record could not be written. */
  private async reconcileDns(
    rules: RuleRow[],
    tunnelIdOf: Map<string, string>,
    full: boolean,
    result: ReconcileResult,
  ): Promise<Set<string>> {
    const { db, gateway, clock } = this.options;
    const failed = new Set<string>();
    const wanted = new Map<string, RuleRow>();
    for (const rule of rules) {
      const current = wanted.get(rule.hostname);
      if (!current || rule.updated_at > current.updated_at) wanted.set(rule.hostname, rule);
    }
    const records = new Map((await dns.listDnsRecords(db)).map((r) => [r.hostname, r]));
    for (const [hostname, rule] of wanted) {
      const tunnelId = tunnelIdOf.get(rule.agent_id);
      if (!tunnelId) {
        failed.add(hostname);
        continue;
      }
      const record = records.get(hostname);
      if (!full && record?.tunnel_id === tunnelId) continue;
      try {
        const written = await gateway.ensureDnsRecord(
          hostname,
          tunnelId,
          rule.zone_name ?? undefined,
        );
        await dns.upsertDnsRecord(db, {
          hostname,
          tunnel_id: tunnelId,
          zone_id: written.zone_id,
          zone_name: rule.zone_name,
          record_id: written.record_id,
          updated_at: clock(),
        });
        if (record?.tunnel_id !== tunnelId) result.dns_written += 1;
      } catch (error) {
        failed.add(hostname);
        await this.fail(result, `dns:${hostname}`, error);
      }
    }
    for (const record of records.values()) {
      if (wanted.has(record.hostname)) continue;
      try {
        await gateway.removeDnsRecord(
          record.hostname,
          record.tunnel_id,
          record.zone_name ?? undefined,
        );
        await dns.deleteDnsRecord(db, record.hostname);
        result.dns_removed += 1;
      } catch (error) {
        await this.fail(result, `dns:${record.hostname}`, error);
      }
    }
    return failed;
  }

  private async fail(result: ReconcileResult, scope: string, error: unknown, agentId?: string) {
    const message = messageOf(error);
    result.errors.push({ scope, message });
    if (agentId) await this.saveTunnel(agentId, { last_error: message }).catch(() => undefined);
  }

  /** Updates a tunnel row; when what operators see of it changed, that goes to the change stream. */
  private async saveTunnel(agentId: string, patch: TunnelPatch): Promise<void> {
    const at = this.options.clock();
    await withChanges(this.options.db, at, async (tx, changes) => {
      const before = await getTunnel(tx, agentId);
      await updateTunnel(tx, agentId, patch, at);
      const after = await getTunnel(tx, agentId);
      if (!before || !after) return;
      const live = (await getAgent(tx, agentId)) !== undefined;
      const view = tunnelView(after, live);
      if (sameTunnelView(tunnelView(before, live), view)) return;
      changes.add({ kind: "tunnel", action: "changed", tunnel: view });
    });
  }

  /** Records each failure of a pass on the change stream (after the pass; never fails it). */
  private recordFailures(errors: ReconcileResult["errors"]) {
    const changes = errors.map((e) => ({
      kind: "reconcile" as const,
      action: "failed" as const,
      scope: e.scope,
      message: e.message,
      agent_id: e.scope.startsWith("tunnel:") ? e.scope.slice("tunnel:".length) : null,
    }));
    recordChanges(this.options.db, this.options.clock(), changes).catch((error: Error) =>
      this.options.logger.warn(
        { err: { message: error.message } },
        "recording reconcile failures failed",
      ),
    );
  }
}
