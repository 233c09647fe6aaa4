import type { ActivityLog } from "@dockflow/protocol";
import { skipToken, useQuery } from "@tanstack/react-query";
import { getRouteApi, Link, useNavigate } from "@tanstack/react-router";
import { type FormEvent, useState } from "react";
import {
  Badge,
  Button,
  Cell,
  Empty,
  ErrorText,
  Fact,
  Facts,
  Field,
  PageHeader,
  Panel,
  Table,
  TextInput,
} from "../components/ui.tsx";
import { UsageChart } from "../components/usage-chart.tsx";
import { useAction } from "../components/use-action.ts";
import { FlowActions } from "../flow/actions.tsx";
import { flowKeys, useFlow, useFlowRows } from "../flow/connection.tsx";
import { FlowConnectionNotice } from "../flow/flow-token-form.tsx";
import { LogsPanel } from "../flow/logs-panel.tsx";
import { MessageConsole } from "../flow/message-console.tsx";
import { TerminalPanel } from "../flow/terminal-panel.tsx";
import { activityKey } from "../lib/activity.ts";
import { formatBytes, formatDuration, formatPercent, shortId } from "../lib/format.ts";
import { healthTone, statusTone } from "../lib/tones.ts";

const route = getRouteApi("/flows/$containerId");

export function FlowDetailPage() {
  const { containerId } = route.useParams();
  const flow = useFlow();
  const navigate = useNavigate();
  const row = useFlowRows()?.find((r) => r.id === containerId);
  const status = useQuery({
    queryKey: flowKeys.status(containerId),
    queryFn: flow.client
      ? () => flow.client!.getContainerStatus({ container_id: containerId })
      : skipToken,
  });
  const activity = useQuery<ActivityLog[]>({
    queryKey: flowKeys.activity,
    queryFn: skipToken,
  }).data;
  const name = row?.name ?? status.data?.name ?? shortId(containerId);
  const current = row?.status ?? status.data?.status;
  const usage = row?.resource_usage ?? status.data?.resource_usage;

  return (
    <>
      <p className="mb-2 text-sm">
        <Link to="/flows" className="text-blue-800 underline">
          ← Flows
        </Link>
      </p>
      <PageHeader title={name}>
        {current && (
          <FlowActions
            row={{ id: containerId, name, status: current }}
            onDeleted={() => void navigate({ to: "/flows" })}
          />
        )}
      </PageHeader>
      <FlowConnectionNotice />
      {status.isError && <ErrorText error={status.error} />}
      <Facts>
        <Fact label="Status">
          {current ? <Badge tone={statusTone(current)}>{current}</Badge> : "–"}
        </Fact>
        <Fact label="Health">
          {status.data ? (
            <Badge tone={healthTone(row?.health ?? status.data.health)}>
              {row?.health ?? status.data.health}
            </Badge>
          ) : (
            "–"
          )}
        </Fact>
        <Fact label="Image">
          <span className="font-mono">{row?.image ?? status.data?.image ?? "–"}</span>
        </Fact>
        <Fact label="Container id">
          <span className="font-mono">{shortId(containerId)}</span>
        </Fact>
        <Fact label="CPU">{usage ? formatPercent(usage.cpu_percent) : "–"}</Fact>
        <Fact label="Memory">
          {usage
            ? `${formatBytes(usage.memory_usage_bytes)} (${formatPercent(usage.memory_percent)})`
            : "–"}
        </Fact>
        <Fact label="Uptime">
          {row?.uptime_seconds !== undefined ? formatDuration(row.uptime_seconds) : "–"}
        </Fact>
        <Fact label="Restarts">{row?.restart_count ?? status.data?.restart_count ?? "–"}</Fact>
      </Facts>
      <div className="grid gap-6 lg:grid-cols-2">
        <Panel id="usage-title" title="CPU and memory">
          <UsageChart containerId={containerId} />
        </Panel>
        <UpdateCode containerId={containerId} />
      </div>
      <div className="mt-6">
        <LogsPanel containerId={containerId} name={name} />
      </div>
      <div className="mt-6">
        <MessageConsole containerId={containerId} />
      </div>
      <div className="mt-6">
        <TerminalPanel containerId={containerId} />
      </div>
      <section aria-labelledby="history-title" className="mt-6">
        <h2 id="history-title" className="mb-2 text-lg font-semibold">
          Status history
        </h2>
        {status.data?.status_history.length ? (
          <Table label="Status history" head={["When", "Status"]}>
            {[...status.data.status_history].reverse().map((entry) => (
              <tr key={`${entry.timestamp}-${entry.status}`}>
                <Cell>{new Date(entry.timestamp).toLocaleString()}</Cell>
                <Cell>{entry.status}</Cell>
              </tr>
            ))}
          </Table>
        ) : (
          <Empty>No status change recorded yet.</Empty>
        )}
      </section>
      <section aria-labelledby="activity-title" className="mt-6">
        <h2 id="activity-title" className="mb-2 text-lg font-semibold">
          Activity
        </h2>
        <FlowActivity entries={(activity ?? []).filter((e) => e.container_id === containerId)} />
      </section>
    </>
  );
}

export function FlowActivity({ entries }: { entries: ActivityLog[] }) {
  if (entries.length === 0) return <Empty>No activity yet.</Empty>;
  return (
    <Table label="Flow activity" head={["When", "Type", "Message"]}>
      {entries.slice(0, 100).map((entry) => (
        <tr key={activityKey(entry)}>
          <Cell>{new Date(entry.timestamp).toLocaleTimeString()}</Cell>
          <Cell>{entry.activity_type}</Cell>
          <Cell>{entry.message}</Cell>
        </tr>
      ))}
    </Table>
  );
}

/** `update_container`: replace the flow's code with a host folder's content. */
function UpdateCode({ containerId }: { containerId: string }) {
  const { client } = useFlow();
  const [path, setPath] = useState("");
  const [result, setResult] = useState<string | null>(null);
  const { busy, error, run } = useAction();
  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!client) return;
    setResult(null);
    await run(async () => {
      const updated = await client.updateContainer({ container_id: containerId, code_path: path });
      setResult(`Code updated (applied by ${updated.applied_by}).`);
    });
  }
  return (
    <Panel id="update-title" title="Update code">
      <form onSubmit={submit} className="space-y-3">
        <Field
          label="Code folder on the host"
          id="update-code-path"
          hint="An absolute path under the manager's allowed roots."
        >
          <TextInput id="update-code-path" value={path} onChange={(e) => setPath(e.target.value)} />
        </Field>
        <Button type="submit" tone="secondary" disabled={busy || path === "" || !client}>
          Update code
        </Button>
        {result && (
          <p role="status" className="text-sm text-green-900">
            {result}
          </p>
        )}
        {error !== null && <ErrorText error={error} />}
      </form>
    </Panel>
  );
}
