import { Button, ConfirmButton, ErrorText } from "../components/ui.tsx";
import { useAction } from "../components/use-action.ts";
import type { FlowRow } from "../lib/flow-containers.ts";
import { useFlow } from "./connection.tsx";

/** Start, stop, restart and delete (confirmed) for one container; results arrive as pushes. */
export function FlowActions({
  row,
  onDeleted,
}: {
  row: Pick<FlowRow, "id" | "name" | "status">;
  onDeleted?: () => void;
}) {
  const { client } = useFlow();
  const action = useAction();
  const running = row.status === "running" || row.status === "restarting";
  const run = (act: () => Promise<unknown>) => () => void action.run(act);
  const { busy, error } = action;
  if (!client) return null;
  const target = { container_id: row.id };
  return (
    <div className="flex flex-wrap items-center gap-1">
      {running ? (
        <Button
          tone="secondary"
          disabled={busy}
          onClick={run(() => client.stopContainer(target))}
          aria-label={`Stop ${row.name}`}
        >
          Stop
        </Button>
      ) : (
        <Button
          tone="secondary"
          disabled={busy}
          onClick={run(() => client.startContainer(target))}
          aria-label={`Start ${row.name}`}
        >
          Start
        </Button>
      )}
      <Button
        tone="secondary"
        disabled={busy}
        onClick={run(() => client.restartContainer(target))}
        aria-label={`Restart ${row.name}`}
      >
        Restart
      </Button>
      <ConfirmButton
        label="Delete"
        title={`Delete ${row.name}?`}
        description="The container is removed (stopped first if it runs). This cannot be undone."
        confirmLabel="Delete container"
        onConfirm={async () => {
          await client.deleteContainer({ container_id: row.id, force: true });
          onDeleted?.();
        }}
      />
      {error !== null && <ErrorText error={error} />}
    </div>
  );
}
