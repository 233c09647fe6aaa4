import { getRouteApi, Link, useNavigate } from "@tanstack/react-router";
import { PagedView } from "../components/paging.tsx";
import { Badge, Cell, Field, PageHeader, Select, Table, TextInput } from "../components/ui.tsx";
import { formatCountdown } from "../lib/format.ts";
import { useNow } from "../live/now.ts";
import { PAGE_SIZE, usePagedList } from "../live/paged.ts";
import { masterKeys } from "../live/stream-changes.ts";
import { useMaster } from "../session/context.tsx";

const route = getRouteApi("/routes");

export function RoutesPage() {
  const master = useMaster();
  const search = route.useSearch();
  const navigate = useNavigate({ from: "/routes" });
  const now = useNow();
  const list = usePagedList({
    queryKey: [...masterKeys.rules, search],
    fetchPage: (cursor) =>
      master.GET("/rules", {
        params: { query: { limit: PAGE_SIZE, ...(cursor && { cursor }), ...search } },
      }),
    items: (page) => page.rules,
  });
  const set = (patch: Partial<typeof search>) =>
    void navigate({ search: (prev) => ({ ...prev, ...patch }), replace: true });

  return (
    <>
      <PageHeader title="Routes" />
      <div className="mb-3 grid max-w-2xl gap-3 sm:grid-cols-3">
        <Field label="Hostname contains" id="routes-q">
          <TextInput
            id="routes-q"
            type="search"
            value={search.q ?? ""}
            onChange={(e) => set({ q: e.target.value || undefined })}
          />
        </Field>
        <Field label="State" id="routes-state">
          <Select
            id="routes-state"
            value={search.state ?? ""}
            onChange={(e) => set({ state: (e.target.value || undefined) as typeof search.state })}
          >
            <option value="">any</option>
            <option value="active">active</option>
            <option value="grace">grace</option>
          </Select>
        </Field>
        <Field label="Agent id" id="routes-agent">
          <TextInput
            id="routes-agent"
            value={search.agent_id ?? ""}
            onChange={(e) => set({ agent_id: e.target.value || undefined })}
          />
        </Field>
      </div>
      <PagedView list={list} empty="No route matches.">
        <Table
          label="Routes"
          head={["Hostname", "Path", "Service", "Agent", "Zone", "State", "Source container"]}
        >
          {list.items?.map((rule) => (
            <tr
              key={`${rule.agent_id}|${rule.hostname}|${rule.path ?? ""}`}
              data-testid="route-row"
            >
              <Cell>
                <a
                  href={`https://${rule.hostname}/`}
                  target="_blank"
                  rel="noreferrer noopener"
                  className="text-blue-800 underline"
                >
                  {rule.hostname}
                </a>
              </Cell>
              <Cell className="font-mono text-xs">{rule.path ?? "(all)"}</Cell>
              <Cell className="font-mono text-xs">{rule.service}</Cell>
              <Cell>
                <Link
                  to="/agents/$agentId"
                  params={{ agentId: rule.agent_id }}
                  className="text-blue-800 underline"
                >
                  {rule.agent_id.slice(0, 8)}
                </Link>
              </Cell>
              <Cell>{rule.zone_name ?? "–"}</Cell>
              <Cell>
                <Badge tone={rule.state === "active" ? "good" : "warn"}>{rule.state}</Badge>
                {rule.state === "grace" && rule.grace_until && (
                  <span className="ml-1 text-xs text-slate-700">
                    {formatCountdown(rule.grace_until, now)}
                  </span>
                )}
              </Cell>
              <Cell>{rule.container_name}</Cell>
            </tr>
          ))}
        </Table>
      </PagedView>
    </>
  );
}
