import { useQuery } from "@tanstack/react-query";
import { getRouteApi, Link, useNavigate } from "@tanstack/react-router";
import {
  Badge,
  Cell,
  ConfirmButton,
  Empty,
  ErrorText,
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
      <dl className="mb-6 grid grid-cols-2 gap-x-6 gap-y-2 rounded border border-slate-200 bg-white p-4 text-sm sm:grid-cols-4">
        <Term label="Status">
          <Badge tone={a.status === "online" ? "good" : "bad"}>{a.status}</Badge>
        </Term>
        <Term label="Mode">{a.mode}</Term>
        <Term label="Node">
          {[a.hostname, a.node_id, a.node_role].filter(Boolean).join(" · ") || "–"}
        </Term>
        <Term label="Version">{a.version}</Term>
        <Term label="Last heartbeat">{formatRelative(a.last_heartbeat, now)}</Term>
        <Term label="Connector">{a.tunnel?.connector_status ?? "not reported"}</Term>
        <Term label="Connector version">{a.tunnel?.connector_version ?? "–"}</Term>
        <Term label="Pending commands">{a.pending_commands}</Term>
      </dl>
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

function Term({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div>
      <dt className="text-slate-600">{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}
