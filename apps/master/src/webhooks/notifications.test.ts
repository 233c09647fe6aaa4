import type { AgentView, RuleView, StreamChange } from "@dockflow/protocol";
import { describe, expect, it } from "vitest";
import { notificationFor } from "./notifications.ts";

const base = { id: "7", at: "2024-01-15T10:30:00.000Z" };
const agent: AgentView = {
  agent_id: "agent-n1",
  display_name: "edge",
  version: "2.0.0",
  mode: "standalone",
  node_id: "n1",
  node_role: null,
  hostname: "n1.local",
  status: "offline",
  last_heartbeat: "2024-01-15T10:28:00.000Z",
  registered_at: "2024-01-15T10:00:00.000Z",
  key_id: "key_1",
  tunnel_id: null,
  rule_count: 1,
};
const rule: RuleView = {
  hostname: "app.example.com",
  path: null,
  service: "http://web:80",
  zone_name: null,
  origin_request: null,
  access: null,
  agent_id: "agent-n1",
  source: "container:web",
  container_name: "web",
  state: "active",
  grace_until: null,
  replicas: null,
  target: { service: "http://web:80" },
  created_at: "2024-01-15T10:30:00.000Z",
  updated_at: "2024-01-15T10:30:00.000Z",
};

const connector = (connector_status: string): StreamChange => ({
  ...base,
  kind: "connector",
  action: "changed",
  agent_id: "agent-n1",
  connector_status,
  connector_version: "2024.1.0",
});

describe("notificationFor", () => {
  it("an agent going offline and coming back", () => {
    expect(notificationFor({ ...base, kind: "agent", action: "offline", agent })).toEqual({
      event: "agent_offline",
      text: "Agent edge (agent-n1) is offline: no heartbeat since 2024-01-15T10:28:00.000Z",
      data: { agent },
    });
    const online = { ...agent, status: "online" as const };
    expect(
      notificationFor({ ...base, kind: "agent", action: "online", agent: online }),
    ).toMatchObject({ event: "agent_online", text: "Agent edge (agent-n1) is back online" });
  });

  it("nothing for an agent registered or removed", () => {
    expect(
      notificationFor({ ...base, kind: "agent", action: "registered", agent }),
    ).toBeUndefined();
    expect(
      notificationFor({ ...base, kind: "agent", action: "removed", agent_id: "agent-n1" }),
    ).toBeUndefined();
  });

  it("a connector down, back up, and nothing when it was stopped on purpose", () => {
    expect(notificationFor(connector("exited"))).toEqual({
      event: "connector_down",
      text: "Connector of agent agent-n1 is down (exited)",
      data: { agent_id: "agent-n1", connector_status: "exited", connector_version: "2024.1.0" },
    });
    expect(notificationFor(connector("missing"))?.event).toBe("connector_down");
    expect(notificationFor(connector("running"))).toMatchObject({
      event: "connector_up",
      text: "Connector of agent agent-n1 is running",
    });
    expect(notificationFor(connector("stopped"))).toBeUndefined();
  });

  it("a reconcile failure", () => {
    expect(
      notificationFor({
        ...base,
        kind: "reconcile",
        action: "failed",
        scope: "dns:app.example.com",
        message: "authentication failed",
        agent_id: null,
      }),
    ).toEqual({
      event: "reconcile_failed",
      text: "Reconcile failed for dns:app.example.com: authentication failed",
      data: { scope: "dns:app.example.com", message: "authentication failed", agent_id: null },
    });
  });

  it("a hostname published and removed, with its path when it has one", () => {
    expect(notificationFor({ ...base, kind: "rule", action: "created", rule })).toEqual({
      event: "hostname_published",
      text: "app.example.com is published (http://web:80, agent agent-n1)",
      data: { rule },
    });
    expect(
      notificationFor({
        ...base,
        kind: "rule",
        action: "removed",
        hostname: "app.example.com",
        path: "^/api",
        agent_id: "agent-n1",
      }),
    ).toMatchObject({
      event: "hostname_removed",
      text: "app.example.com ^/api is removed (agent agent-n1)",
    });
  });

  it("nothing for a rule changed or put in grace, a tunnel, a key or a logged event", () => {
    expect(notificationFor({ ...base, kind: "rule", action: "grace", rule })).toBeUndefined();
    expect(notificationFor({ ...base, kind: "rule", action: "changed", rule })).toBeUndefined();
    expect(
      notificationFor({ ...base, kind: "tunnel", action: "removed", agent_id: "agent-n1" }),
    ).toBeUndefined();
  });
});
