import { type FormEvent, useState } from "react";
import { Button, Field, TextInput } from "../components/ui.tsx";
import { useFlow } from "./connection.tsx";

/** Shown while the flow manager refuses the connection for want of its token (kept in memory). */
export function FlowConnectionNotice() {
  const flow = useFlow();
  const [token, setToken] = useState("");
  if (flow.status.state === "connected") return null;
  if (flow.status.state === "connecting") {
    return <p className="mb-4 text-sm text-slate-700">Connecting to the flow manager…</p>;
  }
  if (flow.status.state === "error") {
    return (
      <p role="alert" className="mb-4 rounded border border-amber-300 bg-amber-50 p-2 text-sm">
        The flow manager at {flow.url ?? "(not configured)"} cannot be reached:{" "}
        {flow.status.message}
      </p>
    );
  }
  const submit = (event: FormEvent) => {
    event.preventDefault();
    flow.submitToken(token);
    setToken("");
  };
  return (
    <form
      onSubmit={submit}
      className="mb-4 flex max-w-lg items-end gap-2 rounded border border-amber-300 bg-amber-50 p-3"
    >
      <div className="grow">
        <Field
          label="Flow manager token"
          id="flow-token"
          hint="Kept in this page's memory only; entered again after a reload."
          error={flow.status.message}
        >
          <TextInput
            id="flow-token"
            type="password"
            autoComplete="off"
            value={token}
            onChange={(event) => setToken(event.target.value)}
          />
        </Field>
      </div>
      <Button type="submit" disabled={token === ""}>
        Connect
      </Button>
    </form>
  );
}
