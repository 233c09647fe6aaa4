import { isFlowError } from "@dockflow/sdk";

/** Where a terminal session stands, as the terminal panel shows it. */
export type ExecState =
  | { kind: "starting" }
  | { kind: "running"; cmd: string }
  | { kind: "ended"; exitCode: number | null }
  | { kind: "disabled" }
  | { kind: "failed"; error: unknown };

/**
 * The state a failed exec call leaves the panel in: the manager answers every exec request with a
 * validation_error carrying `exec_enabled: false` when FLOW_EXEC_ENABLED is off.
 */
export function execFailure(error: unknown): ExecState {
  if (isFlowError(error, "validation_error") && error.details.exec_enabled === false) {
    return { kind: "disabled" };
  }
  return { kind: "failed", error };
}

/** One line saying what the terminal is doing. */
export function execStateText(state: ExecState): string {
  switch (state.kind) {
    case "starting":
      return "Starting a shell in the container…";
    case "running":
      return `Connected: ${state.cmd}. Keystrokes go to the container.`;
    case "ended":
      return state.exitCode === null
        ? "The session ended; its exit code is unknown."
        : `The session ended with exit code ${state.exitCode}.`;
    case "disabled":
      return "Terminal sessions are disabled on this flow manager. Its operator can enable them with FLOW_EXEC_ENABLED=true.";
    case "failed":
      return state.error instanceof Error ? state.error.message : String(state.error);
  }
}

/**
 * Keystrokes in order, one write in flight at a time: what is typed while a write waits for its
 * answer is sent as one write after it. A failed write drops nothing silently: `onError` hears it.
 */
export function inputQueue(options: {
  write: (data: string) => Promise<void>;
  onError: (error: unknown) => void;
}): (data: string) => void {
  let waiting = "";
  let inFlight = false;
  const flush = async () => {
    inFlight = true;
    while (waiting !== "") {
      const data = waiting;
      waiting = "";
      try {
        await options.write(data);
      } catch (error) {
        waiting = "";
        options.onError(error);
      }
    }
    inFlight = false;
  };
  return (data) => {
    waiting += data;
    if (!inFlight) void flush();
  };
}
