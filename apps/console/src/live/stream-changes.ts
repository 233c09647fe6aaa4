import type { ActivityEntry, StreamChange } from "@dockflow/protocol";

/** Query keys of the master's data; every key starts with "master" so a reset refetches all. */
export const masterKeys = {
  all: ["master"] as const,
  agents: ["master", "agents"] as const,
  agent: (id: string) => ["master", "agent", id] as const,
  rules: ["master", "rules"] as const,
  tunnels: ["master", "tunnels"] as const,
  /** Under `tunnels`: refetched with the list on every tunnel, rule and connector change. */
  tunnelIngress: (agentId: string) => ["master", "tunnels", agentId, "ingress"] as const,
  keys: ["master", "keys"] as const,
  activity: ["master", "activity"] as const,
  recentErrors: ["master", "recent-errors"] as const,
};

export type MasterKey = readonly string[];

/**
 * Which cached queries a change makes stale. Lists are refetched rather than patched: they are
 * filtered and paginated on the server, and a refetch with the page's own filters is right by
 * construction (the stream carries the row too, for the activity feed and the error list).
 */
export function staleKeys(change: StreamChange): MasterKey[] {
  switch (change.kind) {
    case "agent": {
      const id = change.action === "removed" ? change.agent_id : change.agent.agent_id;
      const keys: MasterKey[] = [masterKeys.agents, masterKeys.agent(id)];
      // Removing an agent removes its rules and orphans its tunnel.
      if (change.action === "removed") keys.push(masterKeys.rules, masterKeys.tunnels);
      return keys;
    }
    case "rule": {
      const agentId = change.action === "removed" ? change.agent_id : change.rule.agent_id;
      return [masterKeys.rules, masterKeys.agents, masterKeys.agent(agentId), masterKeys.tunnels];
    }
    case "tunnel": {
      const agentId = change.action === "removed" ? change.agent_id : change.tunnel.agent_id;
      return [masterKeys.tunnels, masterKeys.agent(agentId)];
    }
    case "connector":
      return [masterKeys.tunnels, masterKeys.agent(change.agent_id)];
    case "key":
      return [masterKeys.keys];
    case "reconcile":
      return change.agent_id ? [masterKeys.agent(change.agent_id)] : [];
    case "event":
      return [
        masterKeys.activity,
        ...(change.entry.agent_id ? [masterKeys.agent(change.entry.agent_id)] : []),
      ];
  }
}

/** A recent error the overview lists: reconcile failures from the stream. */
export interface RecentError {
  id: string;
  at: string;
  scope: string;
  message: string;
}

/** Prepends a reconcile failure to the recent errors (newest first, at most `max`). */
export function addRecentError(
  errors: RecentError[],
  change: StreamChange,
  max = 20,
): RecentError[] {
  if (change.kind !== "reconcile") return errors;
  const entry = { id: change.id, at: change.at, scope: change.scope, message: change.message };
  return [entry, ...errors.filter((e) => e.id !== change.id)].slice(0, max);
}

/** Prepends a logged event to the live activity feed (newest first, no duplicates, at most `max`). */
export function addActivity(
  entries: ActivityEntry[],
  change: StreamChange,
  max = 50,
): ActivityEntry[] {
  if (change.kind !== "event") return entries;
  return [change.entry, ...entries.filter((e) => e.id !== change.entry.id)].slice(0, max);
}
