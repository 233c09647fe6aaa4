import type {
  AgentDetail,
  AgentView,
  PageQuery,
  RegisterRequest,
  RegisterResponse,
} from "@dockflow/protocol";
import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { AgentPrincipal } from "../auth/agent-keys.ts";
import { randomId } from "../auth/secrets.ts";
import * as keys from "../db/repositories/agent-keys.ts";
import * as agents from "../db/repositories/agents.ts";
import { countPendingCommands, deleteCommandsOfAgent } from "../db/repositories/commands.ts";
import { appendEvent } from "../db/repositories/event-log.ts";
import type { Executor } from "../db/repositories/executor.ts";
import { countRulesByAgent, deleteRulesOfAgent, listRules } from "../db/repositories/rules.ts";
import { getTunnel, getTunnels } from "../db/repositories/tunnels.ts";
import type { AgentRow, Database } from "../db/schema.ts";
import { HttpError } from "../http/errors.ts";
import { withChanges } from "./change-set.ts";
import { pageRequest, toPage } from "./pagination.ts";
import { agentView, keyView, ruleRemoved, ruleView, tunnelView } from "./views.ts";

const ID_SAFE = /[^a-zA-Z0-9_.-]/g;

export interface AgentServiceOptions {
  db: Kysely<Database>;
  clock: () => Date;
  logger: Logger;
  region: string | undefined;
  /** Called when an agent is removed (its rules and tunnel must go). */
  onRemoved: () => void;
  /** Called after a commit that bound or revoked keys (the key cache must forget them). */
  onKeysChanged: () => void;
}

/** Registration, liveness and the operator's view of agents. */
export class AgentService {
  constructor(private readonly options: AgentServiceOptions) {}

  /**
   * Idempotent registration. A key is bound to the first agent that registers with it; the same
   * key always gets the same agent id back (with or without the stored `agent_id`).
   */
  async register(principal: AgentPrincipal, body: RegisterRequest): Promise<RegisterResponse> {
    const { db, clock } = this.options;
    const at = clock();
    const agentId = await withChanges(db, at, async (tx, changes) => {
      let id = principal.agentId;
      if (id !== null) {
        if (body.agent_id !== undefined && body.agent_id !== id) {
          throw new HttpError(403, "forbidden", "this key belongs to another agent");
        }
      } else if (body.agent_id !== undefined) {
        // A fresh key for an agent that stored its id (e.g. after its old key was revoked).
        const existing = await agents.getAgent(tx, body.agent_id);
        if (existing && (await keys.agentHasLiveKey(tx, body.agent_id))) {
          throw new HttpError(403, "forbidden", "that agent id is bound to another key");
        }
        id = body.agent_id;
      } else {
        id = await this.freshId(tx, body);
      }
      if (principal.agentId === null && !(await keys.bindKey(tx, principal.keyId, id, at))) {
        throw new HttpError(409, "conflict", "the key was bound concurrently; register again");
      }
      const { created, wasOffline } = await agents.upsertAgent(
        tx,
        id,
        {
          display_name: body.display_name,
          version: body.version,
          mode: body.mode,
          node_id: body.node_info?.node_id ?? null,
          node_role: body.node_info?.node_role ?? null,
          hostname: body.node_info?.hostname ?? null,
          key_id: principal.keyId,
        },
        at,
      );
      if (principal.agentId !== null) await keys.touchKey(tx, principal.keyId, at);
      await appendEvent(tx, {
        agent_id: id,
        type: created ? "agent_registered" : "agent_reregistered",
        payload: { key_id: principal.keyId, version: body.version, mode: body.mode },
        created_at: at,
      });
      if (wasOffline) {
        await appendEvent(tx, { agent_id: id, type: "agent_online", payload: {}, created_at: at });
      }
      const row = await agents.getAgent(tx, id);
      const [view] = row ? await this.views(tx, [row]) : [];
      if (view) {
        changes.add({ kind: "agent", action: "registered", agent: view });
        if (wasOffline) changes.add({ kind: "agent", action: "online", agent: view });
      }
      if (principal.agentId === null) {
        const key = await keys.getKey(tx, principal.keyId);
        if (key) changes.add({ kind: "key", action: "bound", key: keyView(key) });
      }
      return id;
    });
    if (principal.agentId === null) this.options.onKeysChanged();
    this.options.logger.info({ agent_id: agentId, key_id: principal.keyId }, "agent registered");
    const capabilities = ["tunnel_management", "service_discovery"];
    if (body.mode === "swarm") capabilities.push("swarm_orchestration");
    return {
      agent_id: agentId,
      status: "registered",
      ...(this.options.region ? { assigned_region: this.options.region } : {}),
      capabilities,
    };
  }

  /** `agent-<node id>` when free (seed 1.3), else `agent-<random>`. */
  private async freshId(tx: Kysely<Database>, body: RegisterRequest): Promise<string> {
    const nodeId = body.node_info?.node_id?.replace(ID_SAFE, "-");
    if (nodeId) {
      const candidate = `agent-${nodeId}`.slice(0, 128);
      if (!(await agents.getAgent(tx, candidate))) return candidate;
    }
    return randomId("agent-", 12).toLowerCase();
  }

  async exists(id: string): Promise<boolean> {
    return (await agents.getAgent(this.options.db, id)) !== undefined;
  }

  /** One page of agents, by id. */
  async list(query: PageQuery): Promise<{ agents: AgentView[]; next_cursor: string | null }> {
    const { db } = this.options;
    const request = pageRequest(query, 1);
    const page = toPage(await agents.listAgentsPage(db, request), request, (a) => [a.id]);
    return { agents: await this.views(db, page.rows), next_cursor: page.next_cursor };
  }

  /** The operator's views of these agents (their tunnels and rule counts looked up at once). */
  async views(db: Executor, rows: AgentRow[]): Promise<AgentView[]> {
    const ids = rows.map((a) => a.id);
    const [tunnels, counts] = await Promise.all([getTunnels(db, ids), countRulesByAgent(db, ids)]);
    const byAgent = new Map(tunnels.map((t) => [t.agent_id, t]));
    return rows.map((a) => agentView(a, byAgent.get(a.id), counts.get(a.id) ?? 0));
  }

  async detail(id: string): Promise<AgentDetail | undefined> {
    const { db } = this.options;
    const agent = await agents.getAgent(db, id);
    if (!agent) return undefined;
    const [tunnel, rules, pending] = await Promise.all([
      getTunnel(db, id),
      listRules(db, { agentId: id }),
      countPendingCommands(db, id),
    ]);
    return {
      ...agentView(agent, tunnel, rules.length),
      tunnel: tunnel ? tunnelView(tunnel, true) : null,
      rules: rules.map(ruleView),
      pending_commands: pending,
    };
  }

  /**
   * Removes an agent: its keys are revoked, its queued commands and rules dropped; the reconciler
   * then removes its DNS records, ingress and tunnel from Cloudflare.
   */
  async remove(id: string): Promise<boolean> {
    const at = this.options.clock();
    const removed = await withChanges(this.options.db, at, async (tx, changes) => {
      if (!(await agents.deleteAgent(tx, id))) return false;
      const revoked = await keys.revokeKeysOfAgent(tx, id, at);
      await deleteCommandsOfAgent(tx, id);
      const rules = await deleteRulesOfAgent(tx, id);
      changes.add(
        ...rules.map((r) => ruleRemoved(r)),
        ...revoked.map((k) => ({
          kind: "key" as const,
          action: "revoked" as const,
          key: keyView(k),
        })),
        { kind: "agent", action: "removed", agent_id: id },
      );
      await appendEvent(tx, {
        agent_id: id,
        type: "agent_removed",
        payload: { rules: rules.map((r) => r.rule_key) },
        created_at: at,
      });
      return true;
    });
    if (removed) {
      this.options.onKeysChanged();
      this.options.onRemoved();
    }
    return removed;
  }
}
