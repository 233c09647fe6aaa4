import { ActivityPage } from "@dockflow/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendEvent } from "../db/repositories/event-log.ts";
import { expectApiError, json } from "../testing/expect.ts";
import { DATABASES, startTestMaster, type TestMaster } from "../testing/harness.ts";
import { pageThrough } from "../testing/pages.ts";

describe.each(DATABASES)("GET /activity (%s)", (database) => {
  let t: TestMaster;
  beforeAll(async () => {
    t = await startTestMaster({ database });
  });
  afterAll(() => t?.close());

  it("pages through the event log newest first, each entry exactly once", async () => {
    const agent = await t.registerAgent({ node_info: { node_id: "act" } });
    for (let i = 0; i < 17; i++) {
      await appendEvent(t.master.db, {
        agent_id: i % 2 ? agent.agentId : null,
        type: i % 3 ? "container_start" : "key_issued",
        payload: { n: i, note: i === 7 ? "<script>seven</script>" : "plain" },
        created_at: t.clock.now(),
      });
    }
    const first = ActivityPage.parse(await json(await t.admin("/activity?limit=3")));
    expect(first.entries.map((e) => e.payload.n)).toEqual([16, 15, 14]);
    const { items } = await pageThrough<{ id: string; type: string; agent_id: string | null }>(
      t,
      "/activity?limit=4",
      "entries",
    );
    const ids = items.map((e) => BigInt(e.id));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id, i) => i === 0 || id < (ids[i - 1] ?? 0n))).toBe(true);
    // Registration and key issue logged too: everything in the log, once.
    const total = await t.master.db.selectFrom("event_log").select("id").execute();
    expect(items).toHaveLength(total.length);
  });

  it("filters by type, agent_id and text in the payload, paging within the filter", async () => {
    const { items: starts } = await pageThrough<{ type: string; agent_id: string | null }>(
      t,
      "/activity?type=container_start&limit=2",
      "entries",
    );
    expect(starts.length).toBe(11);
    expect(starts.every((e) => e.type === "container_start")).toBe(true);
    const [agentId] = starts.flatMap((e) => (e.agent_id ? [e.agent_id] : []));
    const mine = await pageThrough<{ agent_id: string | null }>(
      t,
      `/activity?agent_id=${agentId}&type=container_start&limit=5`,
      "entries",
    );
    expect(mine.items.length).toBe(5); // n = 1, 5, 7, 11, 13
    expect(mine.items.every((e) => e.agent_id === agentId)).toBe(true);
    const text = ActivityPage.parse(await json(await t.admin("/activity?q=%3CSCRIPT%3Eseven")));
    expect(text.entries.map((e) => e.payload)).toEqual([{ n: 7, note: "<script>seven</script>" }]);
    expect(text.next_cursor).toBeNull();
  });

  it("refuses bad filters and cursors (400), and non-operators (401)", async () => {
    for (const [query, field] of [
      ["type=Bad-Type", "type"],
      ["agent_id=%20", "agent_id"],
      ["cursor=WyJ4Il0", "cursor"],
      ["limit=-1", "limit"],
    ]) {
      const error = await expectApiError(
        await t.admin(`/activity?${query}`),
        400,
        "validation_error",
      );
      expect(error.issues?.map((i) => i.path)).toEqual([field]);
    }
    await expectApiError(await t.api("/activity"), 401, "unauthorized");
  });
});
