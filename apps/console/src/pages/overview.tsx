import type { ActivityEntry, ActivityLog } from "@dockflow/protocol";
import { MAX_PAGE_SIZE } from "@dockflow/protocol";
import { skipToken, useQuery } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import type { ReactNode } from "react";
import { Empty, ErrorText, PageHeader } from "../components/ui.tsx";
import { flowKeys, useFlowRows } from "../flow/connection.tsx";
import { activityKey } from "../lib/activity.ts";
import { countStates } from "../lib/flow-containers.ts";
import { liveKeys } from "../live/master-stream.tsx";
import { masterKeys, type RecentError } from "../live/stream-changes.ts";
import { useMaster } from "../session/context.tsx";
import { ActivityTable } from "./activity.tsx";
import { FlowActivity } from "./flow-detail.tsx";

export function OverviewPage() {
  const master = useMaster();
  const agents = useQuery({
    queryKey: [...masterKeys.agents, "overview"],
    queryFn: () => master.GET("/agents", { params: { query: { limit: MAX_PAGE_SIZE } } }),
  });
  const rules = useQuery({
    queryKey: [...masterKeys.rules, "overview"],
    queryFn: () => master.GET("/rules", { params: { query: { limit: MAX_PAGE_SIZE } } }),
  });
  const tunnels = useQuery({
    queryKey: [...masterKeys.tunnels, "overview"],
    queryFn: () => master.GET("/tunnels", { params: { query: { limit: MAX_PAGE_SIZE } } }),
  });
  const activity = useQuery({
    queryKey: [...masterKeys.activity, "overview"],
    queryFn: () => master.GET("/activity", { params: { query: { limit: 10 } } }),
  });
  const errors =
    useQuery<RecentError[]>({ queryKey: liveKeys.errors, queryFn: skipToken }).data ?? [];
  const flowActivity =
    useQuery<ActivityLog[]>({ queryKey: flowKeys.activity, queryFn: skipToken }).data ?? [];
  const flows = countStates(useFlowRows() ?? []);
  const crashes = flowActivity.filter(
    (e) => e.activity_type === "container_crashed" || e.activity_type === "error",
  );

  const online = agents.data?.agents.filter((a) => a.status === "online").length ?? 0;
  const grace = rules.data?.rules.filter((r) => r.state === "grace").length ?? 0;
  // The agent reports its connector container's Docker state.
  const connected =
    tunnels.data?.tunnels.filter((t) => t.connector_status === "running").length ?? 0;
  const failed = agents.error ?? rules.error ?? tunnels.error;

  return (
    <>
      <PageHeader title="Overview" />
      {failed && <ErrorText error={failed} />}
      <div className="mb-6 grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
        <Stat title="Agents" to="/agents">
          {online} online · {(agents.data?.agents.length ?? 0) - online} offline
        </Stat>
        <Stat title="Routes" to="/routes">
          {(rules.data?.rules.length ?? 0) - grace} active · {grace} in grace
        </Stat>
        <Stat title="Tunnels" to="/tunnels">
          {tunnels.data?.tunnels.length ?? 0} tunnels · {connected} connectors up
        </Stat>
        <Stat title="Flow containers" to="/flows">
          {flows.running} running · {flows.exited} exited · {flows.other} other
        </Stat>
      </div>
      <div className="grid gap-6 lg:grid-cols-2">
        <section aria-labelledby="errors-title">
          <h2 id="errors-title" className="mb-2 text-lg font-semibold">
            Recent errors
          </h2>
          {errors.length === 0 && crashes.length === 0 ? (
            <Empty>No error since this page opened.</Empty>
          ) : (
            <ul className="space-y-1 text-sm">
              {errors.map((e) => (
                <li key={e.id} className="rounded bg-red-50 p-2">
                  reconcile {e.scope}: {e.message}
                </li>
              ))}
              {crashes.slice(0, 10).map((e) => (
                <li key={activityKey(e)} className="rounded bg-red-50 p-2">
                  {e.activity_type}: {e.message}
                </li>
              ))}
            </ul>
          )}
        </section>
        <section aria-labelledby="flow-activity-title">
          <h2 id="flow-activity-title" className="mb-2 text-lg font-semibold">
            Recent flow activity
          </h2>
          <FlowActivity entries={flowActivity.slice(0, 10)} />
        </section>
      </div>
      <section aria-labelledby="master-activity-title" className="mt-6">
        <h2 id="master-activity-title" className="mb-2 text-lg font-semibold">
          Recent master activity
        </h2>
        <ActivityTable entries={(activity.data?.entries ?? []) as ActivityEntry[]} />
      </section>
    </>
  );
}

function Stat({ title, to, children }: { title: string; to: string; children: ReactNode }) {
  return (
    <Link
      to={to}
      className="block rounded border border-slate-200 bg-white p-4 hover:border-blue-400"
    >
      <h2 className="text-sm font-medium text-slate-600">{title}</h2>
      <p className="mt-1 text-base">{children}</p>
    </Link>
  );
}
