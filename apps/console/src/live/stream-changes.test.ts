import type { RuleView, StreamChange } from "@dockflow/protocol";
import { describe, expect, it } from "vitest";
import { addActivity, addRecentError, masterKeys, staleKeys } from "./stream-changes.ts";

const base = { id: "7", at: "2026-01-01T00:00:00Z" };
const agent = {
  agent_id: "a1",
  display_name: "<b>x</b>",
  version: "2",
  mode: "standalone" as const,
  node_id: null,
  node_role: null,
  hostname: null,
  status: "online" as const,
  last_heartbeat: base.at,
  registered_at: base.at,
  key_id: null,
  tunnel_id: null,
  rule_count: 0,
};
const rule = { hostname: "a.example.com", agent_id: "a1" } as RuleView;

describe("staleKeys", () => {
  it.each<[string, StreamChange, readonly (readonly string[])[]]>([
    [
      "agent online",
      { ...base, kind: "agent", action: "online", agent },
      [masterKeys.agents, masterKeys.agent("a1")],
    ],
    [
      "agent removed",
      { ...base, kind: "agent", action: "removed", agent_id: "a1" },
      [masterKeys.agents, masterKeys.agent("a1"), masterKeys.rules, masterKeys.tunnels],
    ],
    [
      "rule grace",
      { ...base, kind: "rule", action: "grace", rule },
      [masterKeys.rules, masterKeys.agents, masterKeys.agent("a1"), masterKeys.tunnels],
    ],
    [
      "rule removed",
      {
        ...base,
        kind: "rule",
        action: "removed",
        hostname: "a.example.com",
        path: null,
        agent_id: "a2",
      },
      [masterKeys.rules, masterKeys.agents, masterKeys.agent("a2"), masterKeys.tunnels],
    ],
    [
      "connector",
      {
        ...base,
        kind: "connector",
        action: "changed",
        agent_id: "a1",
        connector_status: "healthy",
        connector_version: null,
      },
      [masterKeys.tunnels, masterKeys.agent("a1")],
    ],
    [
      "key revoked",
      {
        ...base,
        kind: "key",
        action: "revoked",
        key: {
          id: "k",
          name: "n",
          agent_id: null,
          created_at: base.at,
          revoked_at: base.at,
          last_used_at: null,
        },
      },
      [masterKeys.keys],
    ],
    [
      "reconcile without agent",
      { ...base, kind: "reconcile", action: "failed", scope: "pass", message: "m", agent_id: null },
      [],
    ],
    [
      "event",
      {
        ...base,
        kind: "event",
        action: "logged",
        entry: { id: "e1", at: base.at, type: "container_start", agent_id: "a1", payload: {} },
      },
      [masterKeys.activity, masterKeys.agent("a1")],
    ],
  ])("%s", (_name, change, keys) => {
    expect(staleKeys(change)).toEqual(keys);
  });
});

describe("the overview's live feeds", () => {
  const failure = (id: string): StreamChange => ({
    id,
    at: base.at,
    kind: "reconcile",
    action: "failed",
    scope: "dns:a.example.com",
    message: "rate limited",
    agent_id: null,
  });
  it("keeps reconcile failures newest first, once each, at most max", () => {
    let errors = addRecentError([], failure("1"));
    errors = addRecentError(errors, failure("2"));
    errors = addRecentError(errors, failure("2"));
    errors = addRecentError(errors, failure("3"), 2);
    expect(errors.map((e) => e.id)).toEqual(["3", "2"]);
    expect(addRecentError(errors, { ...base, kind: "agent", action: "online", agent })).toBe(
      errors,
    );
  });

  it("keeps logged events newest first", () => {
    const event = (id: string): StreamChange => ({
      ...base,
      kind: "event",
      action: "logged",
      entry: { id, at: base.at, type: "container_stop", agent_id: null, payload: {} },
    });
    const entries = addActivity(addActivity([], event("e1")), event("e2"));
    expect(entries.map((e) => e.id)).toEqual(["e2", "e1"]);
  });
});
