import { Link } from "@tanstack/react-router";
import { PagedView } from "../components/paging.tsx";
import { Badge, Cell, PageHeader, Table } from "../components/ui.tsx";
import { formatRelative } from "../lib/format.ts";
import { useNow } from "../live/now.ts";
import { PAGE_SIZE, usePagedList } from "../live/paged.ts";
import { masterKeys } from "../live/stream-changes.ts";
import { useMaster } from "../session/context.tsx";

export function AgentsPage() {
  const master = useMaster();
  const now = useNow(5000);
  const list = usePagedList({
    queryKey: masterKeys.agents,
    fetchPage: (cursor) =>
      master.GET("/agents", { params: { query: { limit: PAGE_SIZE, ...(cursor && { cursor }) } } }),
    items: (page) => page.agents,
  });
  return (
    <>
      <PageHeader title="Agents" />
      <PagedView list={list} empty="No agent registered yet.">
        <Table
          label="Agents"
          head={["Name", "Status", "Mode", "Node", "Version", "Last heartbeat", "Rules"]}
        >
          {list.items?.map((agent) => (
            <tr key={agent.agent_id} data-testid="agent-row">
              <Cell>
                <Link
                  to="/agents/$agentId"
                  params={{ agentId: agent.agent_id }}
                  className="text-blue-800 underline"
                >
                  {agent.display_name}
                </Link>
              </Cell>
              <Cell>
                <Badge tone={agent.status === "online" ? "good" : "bad"}>{agent.status}</Badge>
              </Cell>
              <Cell>{agent.mode}</Cell>
              <Cell>{agent.hostname ?? agent.node_id ?? "–"}</Cell>
              <Cell>{agent.version}</Cell>
              <Cell>{formatRelative(agent.last_heartbeat, now)}</Cell>
              <Cell>{agent.rule_count}</Cell>
            </tr>
          ))}
        </Table>
      </PagedView>
    </>
  );
}
