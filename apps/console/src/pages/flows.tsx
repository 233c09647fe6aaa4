import { getRouteApi, Link, useNavigate } from "@tanstack/react-router";
import { useState } from "react";
import { Sparkline } from "../components/sparkline.tsx";
import {
  Badge,
  Button,
  Cell,
  Empty,
  Modal,
  PageHeader,
  Table,
  TextInput,
} from "../components/ui.tsx";
import { FlowActions } from "../flow/actions.tsx";
import { useFlow, useFlowRows } from "../flow/connection.tsx";
import { CreateFlowForm } from "../flow/create-flow-form.tsx";
import { FlowConnectionNotice } from "../flow/flow-token-form.tsx";
import { visibleRows } from "../lib/flow-containers.ts";
import { formatDuration, formatPercent } from "../lib/format.ts";
import { healthTone, statusTone } from "../lib/tones.ts";

const route = getRouteApi("/flows");

export function FlowsPage() {
  const flow = useFlow();
  const { q = "", page = 1 } = route.useSearch();
  const navigate = useNavigate({ from: "/flows" });
  const [creating, setCreating] = useState(false);
  const rows = useFlowRows();
  const view = visibleRows(rows ?? [], q, page);
  const shown = view.rows;

  return (
    <>
      <PageHeader title="Flows">
        <Button onClick={() => setCreating(true)} disabled={!flow.client}>
          Create flow
        </Button>
      </PageHeader>
      <FlowConnectionNotice />
      <div className="mb-3 max-w-sm">
        <label htmlFor="flows-search" className="sr-only">
          Search flows
        </label>
        <TextInput
          id="flows-search"
          type="search"
          placeholder="Search by name or image"
          value={q}
          onChange={(event) =>
            void navigate({
              search: { q: event.target.value || undefined, page: undefined },
              replace: true,
            })
          }
        />
      </div>
      {shown.length === 0 ? (
        <Empty>{rows?.length ? "No flow matches the search." : "No flow containers yet."}</Empty>
      ) : (
        <Table
          label="Flow containers"
          head={["Name", "Image", "Status", "Health", "CPU", "Memory", "Uptime", "Actions"]}
        >
          {shown.map((row) => (
            <tr key={row.id} data-testid="flow-row">
              <Cell>
                <Link
                  to="/flows/$containerId"
                  params={{ containerId: row.id }}
                  className="font-medium text-blue-800 underline"
                >
                  {row.name}
                </Link>
              </Cell>
              <Cell className="font-mono text-xs">{row.image}</Cell>
              <Cell>
                <Badge tone={statusTone(row.status)}>{row.status}</Badge>
              </Cell>
              <Cell>
                <Badge tone={healthTone(row.health)}>{row.health}</Badge>
              </Cell>
              <Cell>
                <Sparkline containerId={row.id} metric="cpu" label={`CPU of ${row.name}`} />{" "}
                {row.resource_usage ? formatPercent(row.resource_usage.cpu_percent) : "–"}
              </Cell>
              <Cell>
                <Sparkline containerId={row.id} metric="memory" label={`Memory of ${row.name}`} />{" "}
                {row.resource_usage ? formatPercent(row.resource_usage.memory_percent) : "–"}
              </Cell>
              <Cell>
                {row.uptime_seconds !== undefined && row.status === "running"
                  ? formatDuration(row.uptime_seconds)
                  : "–"}
              </Cell>
              <Cell>
                <FlowActions row={row} />
              </Cell>
            </tr>
          ))}
        </Table>
      )}
      {view.pages > 1 && (
        <nav aria-label="Flow pages" className="mt-3 flex items-center gap-2 text-sm">
          <Button
            tone="secondary"
            disabled={view.page <= 1}
            onClick={() => void navigate({ search: (s) => ({ ...s, page: view.page - 1 }) })}
          >
            Previous
          </Button>
          <span>
            Page {view.page} of {view.pages} ({view.matching} flows)
          </span>
          <Button
            tone="secondary"
            disabled={view.page >= view.pages}
            onClick={() => void navigate({ search: (s) => ({ ...s, page: view.page + 1 }) })}
          >
            Next
          </Button>
        </nav>
      )}
      <Modal title="Create a flow container" open={creating} onOpenChange={setCreating}>
        <CreateFlowForm
          onDone={(containerId) => {
            setCreating(false);
            void navigate({ to: "/flows/$containerId", params: { containerId } });
          }}
        />
      </Modal>
    </>
  );
}
