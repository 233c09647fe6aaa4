import { useQuery } from "@tanstack/react-query";
import { getRouteApi, Link, useNavigate } from "@tanstack/react-router";
import {
  Badge,
  Cell,
  ConfirmButton,
  Empty,
  ErrorText,
  Fact,
  Facts,
  PageHeader,
  Table,
} from "../components/ui.tsx";
import { formatCountdown, formatRelative } from "../lib/format.ts";
import { useNow } from "../live/now.ts";
import { masterKeys } from "../live/stream-changes.ts";
import { useMaster } from "../session/context.tsx";
import { ActivityTable } from "./activity.tsx";

const route = getRouteApi("/agents/$agentId");

export function AgentDetailPage() {
  const { agentId } = route.useParams();
  const master = useMaster();
  const navigate = useNavigate();
  const now = useNow();
  const agent = useQuery({
    queryKey: masterKeys.agent(agentId),
    queryFn: () => master.GET("/agents/{id}", { params: { path: { id: agentId } } }),
  });
  const events = useQuery({
    queryKey: [...masterKeys.activity, { agent_id: agentId, recent: true }],
    queryFn: () => master.GET("/activity", { params: { query: { agent_id: agentId, limit: 20 } } }),
  });

  if (agent.isError) return <ErrorText error={agent.error} />;
  if (!agent.data) return <p className="text-slate-600">Loading…</p>;
  const a = agent.data;
  return (
    <>
      <p className="mb-2 text-sm">
        <Link to="/agents" className="text-blue-800 underline">
          ← Agents
        </Link>
      </p>
      <PageHeader title={a.display_name}>
        <ConfirmButton
          label="Remove agent"
          title={`Remove the agent ${a.display_name}?`}
          description="Its rules are removed and its tunnel deleted; the agent is refused until it registers again with a valid key."
          confirmLabel="Remove agent"
          onConfirm={async () => {
            await master.DELETE("/agents/{id}", { params: { path: { id: agentId } } });
            await navigate({ to: "/agents" });
          }}
        />
      </PageHeader>
      <Facts>
        <Fact label="Status">
          <Badge tone={a.status === "online" ? "good" : "bad"}>{a.status}</Badge>
        </Fact>
        <Fact label="Mode">{a.mode}</Fact>
        <Fact label="Node">
          {[a.hostname, a.node_id, a.node_role].filter(Boolean).join(" · ") || "–"}
        </Fact>
        <Fact label="Version">{a.version}</Fact>
        <Fact label="Last heartbeat">{formatRelative(a.last_heartbeat, now)}</Fact>
        <Fact label="Connector">{a.tunnel?.connector_status ?? "not reported"}</Fact>
        <Fact label="Connector version">{a.tunnel?.connector_version ?? "–"}</Fact>
        <Fact label="Pending commands">{a.pending_commands}</Fact>
      </Facts>
      <h2 className="mb-2 text-lg font-semibold">Rules</h2>
      {a.rules.length === 0 ? (
        <Empty>This agent has no rule.</Empty>
      ) : (
        <Table
          label="Rules of this agent"
          head={["Hostname", "Path", "Service", "State", "Container"]}
        >
          {a.rules.map((rule) => (
            <tr key={`${rule.hostname}|${rule.path ?? ""}`}>
              <Cell>{rule.hostname}</Cell>
              <Cell className="font-mono text-xs">{rule.path ?? "(all)"}</Cell>
              <Cell className="font-mono text-xs">{rule.service}</Cell>
              <Cell>
                <Badge tone={rule.state === "active" ? "good" : "warn"}>{rule.state}</Badge>
                {rule.state === "grace" && rule.grace_until && (
                  <span className="ml-1 text-xs">{formatCountdown(rule.grace_until, now)}</span>
                )}
              </Cell>
              <Cell>{rule.container_name}</Cell>
            </tr>
          ))}
        </Table>
      )}
      <h2 className="mt-6 mb-2 text-lg font-semibold">Recent events</h2>
      {events.isError ? (
        <ErrorText error={events.error} />
      ) : (
        <ActivityTable entries={events.data?.entries ?? []} />
      )}
    </>
  );
}
