import { Link } from "@tanstack/react-router";
import { PagedView } from "../components/paging.tsx";
import { Badge, PageHeader } from "../components/ui.tsx";
import { PAGE_SIZE, usePagedList } from "../live/paged.ts";
import { masterKeys } from "../live/stream-changes.ts";
import { useMaster } from "../session/context.tsx";
import { TunnelIngress } from "./tunnel-ingress.tsx";

export function TunnelsPage() {
  const master = useMaster();
  const list = usePagedList({
    queryKey: masterKeys.tunnels,
    fetchPage: (cursor) =>
      master.GET("/tunnels", {
        params: { query: { limit: PAGE_SIZE, ...(cursor && { cursor }) } },
      }),
    items: (page) => page.tunnels,
  });
  return (
    <>
      <PageHeader title="Tunnels" />
      <PagedView
        list={list}
        empty="No tunnel yet: one is created per agent once it reports a route."
      >
        <ul className="space-y-4">
          {list.items?.map((tunnel) => (
            <li
              key={tunnel.agent_id}
              data-testid="tunnel"
              className="rounded border border-slate-200 bg-white p-4"
            >
              <h2 className="text-lg font-semibold">{tunnel.name}</h2>
              <p className="mb-2 text-sm text-slate-700">
                <Badge
                  tone={
                    tunnel.status === "active"
                      ? "good"
                      : tunnel.status === "pending"
                        ? "warn"
                        : "bad"
                  }
                >
                  {tunnel.status}
                </Badge>{" "}
                connector {tunnel.connector_status ?? "not reported"}
                {tunnel.connector_version && ` (${tunnel.connector_version})`} · agent{" "}
                <Link
                  to="/agents/$agentId"
                  params={{ agentId: tunnel.agent_id }}
                  className="text-blue-800 underline"
                >
                  {tunnel.agent_id.slice(0, 8)}
                </Link>
                {tunnel.tunnel_id && (
                  <>
                    {" "}
                    · Cloudflare id <span className="font-mono">{tunnel.tunnel_id}</span>
                  </>
                )}
              </p>
              {tunnel.last_error && (
                <p role="alert" className="mb-2 text-sm text-red-800">
                  Last error: {tunnel.last_error}
                </p>
              )}
              <h3 className="mb-1 text-sm font-medium">Ingress</h3>
              {tunnel.tunnel_id ? (
                <TunnelIngress agentId={tunnel.agent_id} name={tunnel.name} />
              ) : (
                <p className="text-sm text-slate-600">
                  Not created in Cloudflare yet: no ingress to show.
                </p>
              )}
            </li>
          ))}
        </ul>
      </PagedView>
    </>
  );
}
