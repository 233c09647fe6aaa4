import type { MasterClient, MasterResponse } from "../src/index.ts";

export interface AgentWalkthrough {
  agentId: string;
  /** What the master answered to the container_start event. */
  accepted: MasterResponse<"/agents/{id}/events", "post">;
  /** The ingress rules the master derived from the container's labels. */
  rules: MasterResponse<"/rules", "get">["rules"];
  /** Commands the agent took from its queue. */
  commands: MasterResponse<"/agents/{id}/commands", "get">["commands"];
}

/**
 * The master's registration and tunnel flow, on the SDK: the operator issues an agent key, the agent
 * registers with it and reports a labelled container, the master turns the labels into an
 * ingress rule, reconciles (tunnel, ingress, DNS) and queues the agent's tunnel command.
 * `admin` carries the admin token; the agent's calls use the issued key (`withToken`).
 */
export async function agentWalkthrough(
  admin: MasterClient,
  { hostname, log = console.log }: { hostname: string; log?: (...args: unknown[]) => void },
): Promise<AgentWalkthrough> {
  const key = await admin.POST("/keys", { body: { name: "sdk example agent" } });
  log("Issued agent key", key.id, "(the key itself is shown only once)");

  const agent = admin.withToken(key.key);
  const registered = await agent.POST("/agents/register", {
    body: { display_name: "sdk example", version: "1.0.0", mode: "standalone" },
  });
  const agentId = registered.agent_id;
  log("Registered agent", agentId, "capabilities:", registered.capabilities);

  const accepted = await agent.POST("/agents/{id}/events", {
    params: { path: { id: agentId } },
    body: {
      type: "container_start",
      container: {
        name: "web",
        labels: {
          "dockflare.enable": "true",
          "dockflare.hostname": hostname,
          "dockflare.service": "http://web:80",
        },
      },
    },
  });
  log("Event accepted", accepted);

  const { rules } = await admin.GET("/rules", { params: { query: { agent_id: agentId } } });
  log(
    "Rules:",
    rules.map((r) => `${r.hostname} -> ${r.service}`),
  );

  const report = await admin.POST("/reconcile");
  log("Reconciled:", report);

  const { commands } = await agent.GET("/agents/{id}/commands", {
    params: { path: { id: agentId } },
  });
  log(
    "Commands for the agent:",
    commands.map((c) => c.action),
  );
  return { agentId, accepted, rules, commands };
}
