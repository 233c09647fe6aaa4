import type { ActivityEntry } from "@dockflow/protocol";
import { getRouteApi, useNavigate } from "@tanstack/react-router";
import { PagedView } from "../components/paging.tsx";
import { Cell, Empty, Field, PageHeader, Table, TextInput } from "../components/ui.tsx";
import { summarizePayload } from "../lib/activity.ts";
import { PAGE_SIZE, usePagedList } from "../live/paged.ts";
import { masterKeys } from "../live/stream-changes.ts";
import { useMaster } from "../session/context.tsx";

const route = getRouteApi("/activity");

export function ActivityPage() {
  const master = useMaster();
  const search = route.useSearch();
  const navigate = useNavigate({ from: "/activity" });
  const list = usePagedList({
    queryKey: [...masterKeys.activity, search],
    fetchPage: (cursor) =>
      master.GET("/activity", {
        params: { query: { limit: PAGE_SIZE, ...(cursor && { cursor }), ...search } },
      }),
    items: (page) => page.entries,
  });
  const set = (patch: Partial<typeof search>) =>
    void navigate({ search: (prev) => ({ ...prev, ...patch }), replace: true });
  return (
    <>
      <PageHeader title="Activity" />
      <div className="mb-3 grid max-w-2xl gap-3 sm:grid-cols-3">
        <Field label="Search" id="activity-q">
          <TextInput
            id="activity-q"
            type="search"
            value={search.q ?? ""}
            onChange={(e) => set({ q: e.target.value || undefined })}
          />
        </Field>
        <Field label="Type" id="activity-type" hint="e.g. rule_created">
          <TextInput
            id="activity-type"
            value={search.type ?? ""}
            onChange={(e) => set({ type: e.target.value || undefined })}
          />
        </Field>
        <Field label="Agent id" id="activity-agent">
          <TextInput
            id="activity-agent"
            value={search.agent_id ?? ""}
            onChange={(e) => set({ agent_id: e.target.value || undefined })}
          />
        </Field>
      </div>
      <PagedView list={list} empty="No activity matches.">
        <ActivityTable entries={list.items ?? []} />
      </PagedView>
    </>
  );
}

export function ActivityTable({ entries }: { entries: ActivityEntry[] }) {
  if (entries.length === 0) return <Empty>No activity yet.</Empty>;
  return (
    <Table label="Master activity" head={["When", "Type", "Agent", "Details"]}>
      {entries.map((entry) => (
        <tr key={entry.id} data-testid="activity-row">
          <Cell>{new Date(entry.at).toLocaleString()}</Cell>
          <Cell>{entry.type}</Cell>
          <Cell className="font-mono text-xs">{entry.agent_id?.slice(0, 8) ?? "–"}</Cell>
          <Cell className="font-mono text-xs break-all">
            <details>
              <summary>{summarizePayload(entry.payload)}</summary>
              <pre className="whitespace-pre-wrap">{JSON.stringify(entry.payload, null, 2)}</pre>
            </details>
          </Cell>
        </tr>
      ))}
    </Table>
  );
}
