import type { RuleState, RuleView, TunnelView } from "@dockflow/protocol";
import { type Kysely, sql } from "kysely";
import type { z } from "zod";
import { listAgents } from "../db/repositories/agents.ts";
import { listRules } from "../db/repositories/rules.ts";
import { listTunnels } from "../db/repositories/tunnels.ts";
import type { Database } from "../db/schema.ts";
import { ruleView, tunnelView } from "./views.ts";

/** Read-only operator views of tunnels and rules, and the health probe. */
export class StateService {
  constructor(private readonly db: Kysely<Database>) {}

  async tunnels(): Promise<TunnelView[]> {
    const [tunnels, agents] = await Promise.all([listTunnels(this.db), listAgents(this.db)]);
    const live = new Set(agents.map((a) => a.id));
    return tunnels.map((t) => tunnelView(t, live.has(t.agent_id)));
  }

  async rules(filter: {
    agentId?: string | undefined;
    state?: z.infer<typeof RuleState> | undefined;
  }): Promise<RuleView[]> {
    return (await listRules(this.db, filter)).map(ruleView);
  }

  /** Whether the database answers. */
  async databaseHealthy(): Promise<boolean> {
    try {
      await sql`select 1`.execute(this.db);
      return true;
    } catch {
      return false;
    }
  }
}
