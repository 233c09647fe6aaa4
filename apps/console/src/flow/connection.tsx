import type { ActivityLog } from "@dockflow/protocol";
import { createFlowClient, type FlowClient } from "@dockflow/sdk";
import { type QueryClient, skipToken, useQuery, useQueryClient } from "@tanstack/react-query";
import {
  createContext,
  type ReactNode,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
} from "react";
import {
  applyStatusChanged,
  applyStatusUpdate,
  type FlowRow,
  removeRow,
  sortRows,
} from "../lib/flow-containers.ts";
import { useMaster } from "../session/context.tsx";
import { UsageHistory } from "./usage-history.ts";

export type FlowState =
  | { state: "connecting" }
  | { state: "connected" }
  | { state: "needs_token"; message: string }
  | { state: "error"; message: string };

export interface FlowConnection {
  client: FlowClient | null;
  url: string | null;
  status: FlowState;
  usage: UsageHistory;
  /** Keeps the flow manager's token in memory (this page only) and reconnects with it. */
  submitToken(token: string): void;
}

export const flowKeys = {
  containers: ["flow", "containers"] as const,
  status: (id: string) => ["flow", "status", id] as const,
  activity: ["flow", "activity"] as const,
};

/** Activity entries kept in memory for the pages (newest first). */
const ACTIVITY_KEPT = 500;

/** The flow containers, kept current by the provider's pushes (undefined before the first list). */
export function useFlowRows(): FlowRow[] | undefined {
  // Every update changes every running row: comparing old and new deeply would be wasted work.
  return useQuery<FlowRow[]>({
    queryKey: flowKeys.containers,
    queryFn: skipToken,
    structuralSharing: false,
  }).data;
}

const FlowContext = createContext<FlowConnection | null>(null);

export function useFlow(): FlowConnection {
  const value = useContext(FlowContext);
  if (!value) throw new Error("useFlow outside FlowProvider");
  return value;
}

/**
 * One Socket.IO connection to the flow manager for the whole console (its URL comes from the
 * master's console config). Pushed events are folded into the query cache, so every page that
 * shows flows is live.
 */
export function FlowProvider({ children }: { children: ReactNode }) {
  const master = useMaster();
  const queryClient = useQueryClient();
  const config = useQuery({
    queryKey: ["console", "config"],
    queryFn: () => master.GET("/console/config"),
    staleTime: Infinity,
  });
  const url = config.data?.flow_manager_url ?? null;
  const token = useRef<string | undefined>(undefined);
  const [client, setClient] = useState<FlowClient | null>(null);
  const [status, setStatus] = useState<FlowState>({ state: "connecting" });
  const usage = useMemo(() => new UsageHistory(), []);

  useEffect(() => {
    if (!url) return;
    const flow = createFlowClient(url, {
      token: () => token.current ?? "",
      // WebSocket only: no long-polling requests, so no CORS preflight to the flow manager.
      socket: { transports: ["websocket"] },
    });
    const stops = [
      flow.on("connect", () => {
        setStatus({ state: "connected" });
        void refreshContainers(queryClient, flow);
      }),
      flow.on("connect_error", (error) => {
        setStatus(
          error.message.startsWith("unauthorized")
            ? { state: "needs_token", message: error.message }
            : { state: "error", message: error.message },
        );
      }),
      flow.on("disconnect", () => setStatus({ state: "connecting" })),
      flow.on("container_status_update", (update) => {
        usage.add(update);
        queryClient.setQueryData<FlowRow[]>(flowKeys.containers, (rows) =>
          applyStatusUpdate(rows ?? [], update),
        );
      }),
      flow.on("status_changed", (change) => {
        const rows = queryClient.getQueryData<FlowRow[]>(flowKeys.containers) ?? [];
        const next = applyStatusChanged(rows, change);
        if (next.known) queryClient.setQueryData(flowKeys.containers, next.rows);
        else void refreshContainers(queryClient, flow);
        void queryClient.invalidateQueries({ queryKey: flowKeys.status(change.container_id) });
      }),
      flow.on("activity_log", (entry) => {
        queryClient.setQueryData<ActivityLog[]>(flowKeys.activity, (entries) =>
          [entry, ...(entries ?? [])].slice(0, ACTIVITY_KEPT),
        );
        if (entry.activity_type === "container_created") void refreshContainers(queryClient, flow);
        if (entry.activity_type === "container_deleted" && entry.container_id) {
          const id = entry.container_id;
          queryClient.setQueryData<FlowRow[]>(flowKeys.containers, (rows) =>
            removeRow(rows ?? [], id),
          );
        }
      }),
    ];
    setClient(flow);
    return () => {
      for (const stop of stops) stop();
      flow.close();
      setClient(null);
    };
  }, [url, queryClient, usage]);

  const value = useMemo<FlowConnection>(
    () => ({
      client,
      url,
      status: config.isError ? { state: "error", message: config.error.message } : status,
      usage,
      submitToken(next) {
        token.current = next;
        setStatus({ state: "connecting" });
        client?.socket.connect();
      },
    }),
    [client, url, status, usage, config.isError, config.error],
  );
  return <FlowContext.Provider value={value}>{children}</FlowContext.Provider>;
}

/** Lists every container (which also asks the manager for their status updates). */
async function refreshContainers(queryClient: QueryClient, flow: FlowClient): Promise<void> {
  const [list, history] = await Promise.all([
    flow.listContainers({ all: true }),
    flow.getActivityLog({ limit: ACTIVITY_KEPT }),
  ]);
  queryClient.setQueryData<FlowRow[]>(flowKeys.containers, (rows) => {
    const known = new Map((rows ?? []).map((row) => [row.id, row]));
    return sortRows(list.containers.map((c) => ({ ...known.get(c.id), ...c })));
  });
  queryClient.setQueryData(
    flowKeys.activity,
    [...history.entries].sort((a, b) => b.timestamp.localeCompare(a.timestamp)),
  );
}
