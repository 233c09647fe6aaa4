import type { ActivityEntry, PageQuery, RuleState, RuleView, TunnelView } from "@dockflow/protocol";
import { type Kysely, sql } from "kysely";
import type { z } from "zod";
import { getAgents } from "../db/repositories/agents.ts";
import { type ActivityFilter, listActivityPage } from "../db/repositories/event-log.ts";
import { listRulesPage, type RuleFilter } from "../db/repositories/rules.ts";
import { listTunnelsPage } from "../db/repositories/tunnels.ts";
import type { Database } from "../db/schema.ts";
import { pageRequest, toPage } from "./pagination.ts";
import { activityEntry, ruleView, tunnelView } from "./views.ts";

type Page<K extends string, T> = { [key in K]: T[] } & { next_cursor: string | null };

/** Read-only operator views of tunnels, rules and the event log, and the health probe. */
export class StateService {
  constructor(private readonly db: Kysely<Database>) {}

  /** One page of tunnels, by agent id. */
  async tunnels(query: PageQuery): Promise<Page<"tunnels", TunnelView>> {
    const request = pageRequest(query, 1);
    const page = toPage(await listTunnelsPage(this.db, request), request, (t) => [t.agent_id]);
    const live = new Set(
      (
        await getAgents(
          this.db,
          page.rows.map((t) => t.agent_id),
        )
      ).map((a) => a.id),
    );
    return {
      tunnels: page.rows.map((t) => tunnelView(t, live.has(t.agent_id))),
      next_cursor: page.next_cursor,
    };
  }

  /** One page of rules, by hostname and path. */
  async rules(
    filter: RuleFilter & { state?: z.infer<typeof RuleState> | undefined },
    query: PageQuery,
  ): Promise<Page<"rules", RuleView>> {
    const request = pageRequest(query, 2);
    const page = toPage(await listRulesPage(this.db, filter, request), request, (r) => [
      r.hostname,
      r.path,
    ]);
    return { rules: page.rows.map(ruleView), next_cursor: page.next_cursor };
  }

  /** One page of the event log, newest first. */
  async activity(
    filter: ActivityFilter,
    query: PageQuery,
  ): Promise<Page<"entries", ActivityEntry>> {
    const request = pageRequest(query, 1);
    const page = toPage(await listActivityPage(this.db, filter, request), request, (e) => [
      String(e.id),
    ]);
    return { entries: page.rows.map(activityEntry), next_cursor: page.next_cursor };
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
