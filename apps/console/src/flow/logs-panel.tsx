import { type FlowLogStream, isFlowError } from "@dockflow/sdk";
import { lazy, Suspense, useEffect, useMemo, useRef, useState } from "react";
import { Button, ErrorText, TextInput } from "../components/ui.tsx";
import {
  appendLogs,
  emptyLogBuffer,
  type LogBuffer,
  logsAsText,
  searchLogs,
} from "../lib/log-buffer.ts";
import { useFlow } from "./connection.tsx";

const LogTerminal = lazy(() => import("./log-terminal.tsx"));

/** Lines of earlier output shown when the panel opens. */
const TAIL = 200;

/** Live logs of one container: follow, pause, search, download. */
export function LogsPanel({ containerId, name }: { containerId: string; name: string }) {
  const { client } = useFlow();
  const [buffer, setBuffer] = useState<LogBuffer>(emptyLogBuffer);
  const [paused, setPaused] = useState<LogBuffer | null>(null);
  const [follow, setFollow] = useState(true);
  const [query, setQuery] = useState("");
  const [state, setState] = useState<"following" | "ended" | { error: unknown }>("following");

  // The manager allows one subscription per container and connection: a new one waits until the
  // previous one (an earlier mount of this panel) has unsubscribed.
  const closing = useRef<Promise<void>>(Promise.resolve());

  useEffect(() => {
    if (!client) return;
    let stream: FlowLogStream | undefined;
    let cancelled = false;
    setBuffer(emptyLogBuffer);
    setState("following");
    void (async () => {
      await closing.current;
      if (cancelled) return;
      stream = client.logs(containerId, { tail: TAIL });
      try {
        for await (const batch of stream) {
          setBuffer((b) => appendLogs(b, batch.lines, batch.dropped ?? 0));
          if (batch.ended) setState("ended");
        }
      } catch (error) {
        if (cancelled) return;
        // The container is gone, or the connection dropped (a remount follows again).
        setState(
          isFlowError(error) && error.error_type === "container_not_found" ? "ended" : { error },
        );
      }
    })();
    return () => {
      cancelled = true;
      if (stream) closing.current = stream.close().catch(() => undefined);
    };
  }, [client, containerId]);

  const shown = useMemo(() => searchLogs((paused ?? buffer).lines, query), [paused, buffer, query]);

  function save() {
    const url = URL.createObjectURL(new Blob([logsAsText(buffer.lines)], { type: "text/plain" }));
    const link = document.createElement("a");
    link.href = url;
    link.download = `${name}.log`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  return (
    <section aria-labelledby="logs-title" className="rounded border border-slate-200 bg-white p-4">
      <div className="mb-2 flex flex-wrap items-center gap-2">
        <h2 id="logs-title" className="mr-auto text-lg font-semibold">
          Logs
        </h2>
        <label htmlFor="logs-search" className="sr-only">
          Search the logs
        </label>
        <div className="w-56">
          <TextInput
            id="logs-search"
            type="search"
            placeholder="Search the logs"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
          />
        </div>
        <label className="flex items-center gap-1 text-sm">
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} />
          Follow
        </label>
        <Button
          tone="secondary"
          onClick={() => setPaused((p) => (p ? null : buffer))}
          aria-pressed={paused !== null}
        >
          {paused ? "Resume" : "Pause"}
        </Button>
        <Button tone="secondary" onClick={save} disabled={buffer.lines.length === 0}>
          Download
        </Button>
      </div>
      <p className="mb-2 text-xs text-slate-600" aria-live="polite">
        {shown.length} of {buffer.lines.length} lines
        {buffer.dropped > 0 && ` · ${buffer.dropped} older lines dropped`}
        {paused && " · paused"}
        {state === "ended" && " · the container is gone"}
      </p>
      {typeof state === "object" && <ErrorText error={state.error} />}
      <Suspense fallback={<p className="text-sm text-slate-600">Loading the terminal…</p>}>
        <LogTerminal lines={shown} follow={follow && !paused} />
      </Suspense>
    </section>
  );
}
