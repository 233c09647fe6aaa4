import { lazy, Suspense, useState } from "react";
import { Button, Panel } from "../components/ui.tsx";
import { type ExecState, execStateText } from "../lib/exec.ts";
import { useFlow } from "./connection.tsx";

const ExecTerminal = lazy(() => import("./exec-terminal.tsx"));

/**
 * A shell in the container on demand (the flow manager's exec sessions, off unless its operator
 * enabled them). Opening starts a session; closing, or leaving the page, ends it.
 */
export function TerminalPanel({ containerId }: { containerId: string }) {
  const { client } = useFlow();
  const [open, setOpen] = useState(false);
  /** A new key per opening, so that each opening is a new session in a new terminal. */
  const [opening, setOpening] = useState(0);
  const [state, setState] = useState<ExecState | null>(null);
  const live = open && (state?.kind === "starting" || state?.kind === "running");
  const shown = open && state?.kind !== "disabled";

  function start() {
    setState(null);
    setOpening((n) => n + 1);
    setOpen(true);
  }

  function close() {
    setOpen(false);
    setState(null);
  }

  return (
    <Panel id="terminal-title" title="Terminal">
      <div className="mb-2 flex flex-wrap items-center gap-2">
        <p
          role="status"
          data-testid="terminal-state"
          className={`mr-auto text-sm ${state?.kind === "failed" || state?.kind === "disabled" ? "text-red-900" : "text-slate-700"}`}
        >
          {state
            ? execStateText(state)
            : "Open a shell in the container (the session ends when you close it or leave the page)."}
        </p>
        {live ? (
          <Button tone="secondary" onClick={close}>
            Close terminal
          </Button>
        ) : (
          <Button tone="secondary" onClick={start} disabled={!client}>
            {open ? "Open a new terminal" : "Open terminal"}
          </Button>
        )}
      </div>
      {shown && client && (
        <Suspense fallback={<p className="text-sm text-slate-600">Loading the terminal…</p>}>
          <ExecTerminal
            key={opening}
            client={client}
            containerId={containerId}
            onState={setState}
          />
        </Suspense>
      )}
    </Panel>
  );
}
