import { useQuery } from "@tanstack/react-query";
import { Badge, Cell, ErrorText, Table } from "../components/ui.tsx";
import { masterKeys } from "../live/stream-changes.ts";
import { useMaster } from "../session/context.tsx";

/**
 * A tunnel's whole ingress as Cloudflare holds it (read live by the master), each entry labelled
 * as written by dockflow or by the operator; the catch-all last.
 */
export function TunnelIngress({ agentId, name }: { agentId: string; name: string }) {
  const master = useMaster();
  const ingress = useQuery({
    queryKey: masterKeys.tunnelIngress(agentId),
    queryFn: () =>
      master.GET("/tunnels/{agent_id}/ingress", { params: { path: { agent_id: agentId } } }),
  });
  if (ingress.isError) return <ErrorText error={ingress.error} />;
  if (!ingress.data) return <p className="text-sm text-slate-600">Loading the ingress…</p>;
  const { ingress: entries, catch_all } = ingress.data;
  return (
    <>
      {entries.length === 0 ? (
        <p className="text-sm text-slate-600">No ingress entry yet.</p>
      ) : (
        <Table label={`Ingress of ${name}`} head={["Hostname", "Path", "Service", "Written by"]}>
          {entries.map((entry) => (
            <tr key={`${entry.hostname ?? ""} ${entry.path ?? ""}`} data-testid="ingress-entry">
              <Cell className="font-mono text-xs">{entry.hostname ?? "(any)"}</Cell>
              <Cell className="font-mono text-xs">{entry.path ?? ""}</Cell>
              <Cell className="font-mono text-xs">{entry.service}</Cell>
              <Cell>
                {entry.managed ? (
                  <Badge tone="good">dockflow</Badge>
                ) : (
                  <Badge tone="neutral">operator</Badge>
                )}
              </Cell>
            </tr>
          ))}
        </Table>
      )}
      <p className="mt-2 text-xs text-slate-600">
        Anything else: <span className="font-mono">{catch_all ?? "none set"}</span>. Entries marked
        “operator” were added outside dockflow; the master keeps them as they are.
      </p>
    </>
  );
}
