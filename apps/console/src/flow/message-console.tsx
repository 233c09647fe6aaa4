import { isFlowError } from "@dockflow/sdk";
import { type FormEvent, useState } from "react";
import { Button, Field, Panel, TextArea, TextInput } from "../components/ui.tsx";
import {
  appendTranscript,
  emptyTranscript,
  parseMessageData,
  showData,
  type Transcript,
  type TranscriptEntry,
} from "../lib/message-log.ts";
import { useFlow } from "./connection.tsx";

/**
 * Sends `{command, data}` to the code in the container and shows, in order, the manager's
 * `message_sent`, each `status` reply and the final reply or the error. Data is shown as text.
 */
export function MessageConsole({ containerId }: { containerId: string }) {
  const { client } = useFlow();
  const [command, setCommand] = useState("");
  const [data, setData] = useState("");
  const [dataError, setDataError] = useState<string | undefined>(undefined);
  const [transcript, setTranscript] = useState<Transcript>(emptyTranscript);
  const [busy, setBusy] = useState(false);
  const append = (event: Parameters<typeof appendTranscript>[1]) =>
    setTranscript((t) => appendTranscript(t, event));

  async function send(event: FormEvent) {
    event.preventDefault();
    const parsed = parseMessageData(data);
    if (!parsed.ok) return setDataError(parsed.message);
    setDataError(undefined);
    if (!client) return;
    setBusy(true);
    append({ type: "request", command, data: parsed.data });
    try {
      const message = parsed.data === undefined ? { command } : { command, data: parsed.data };
      // The final reply resolves the request; message_sent and status replies come before it.
      const requestId = `console-${crypto.randomUUID()}`;
      const stop = client.on("message_sent", (sent) => {
        if (sent.request_id === requestId) append({ type: "sent", sent });
      });
      try {
        const reply = await client.request(containerId, message, {
          requestId,
          onStatus: (received) => append({ type: "status", received }),
        });
        append({ type: "reply", received: reply });
      } finally {
        stop();
      }
    } catch (caught) {
      append({ type: "error", error: isFlowError(caught) ? caught.toJSON() : (caught as Error) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <Panel id="message-console-title" title="Message console">
      <form onSubmit={send} className="mb-3 grid gap-3 sm:grid-cols-3">
        <Field label="Command" id="message-command">
          <TextInput
            id="message-command"
            required
            value={command}
            onChange={(e) => setCommand(e.target.value)}
          />
        </Field>
        <div className="sm:col-span-2">
          <Field label="Data (JSON, optional)" id="message-data" error={dataError}>
            <TextArea
              id="message-data"
              rows={2}
              value={data}
              onChange={(e) => setData(e.target.value)}
            />
          </Field>
        </div>
        <div>
          <Button type="submit" disabled={busy || command === "" || !client}>
            {busy ? "Waiting for the reply…" : "Send"}
          </Button>
        </div>
      </form>
      <ol
        aria-label="Message transcript"
        aria-live="polite"
        className="space-y-1 font-mono text-xs"
      >
        {transcript.entries.map((entry) => (
          <li key={entry.seq} data-kind={entry.kind} className="rounded bg-slate-50 p-2">
            <TranscriptLine entry={entry} />
          </li>
        ))}
      </ol>
    </Panel>
  );
}

function TranscriptLine({ entry }: { entry: TranscriptEntry }) {
  switch (entry.kind) {
    case "request":
      return (
        <>
          <strong>→ {entry.command}</strong>{" "}
          <pre className="whitespace-pre-wrap">{showData(entry.data)}</pre>
        </>
      );
    case "sent":
      return <>message_sent {entry.message_id}</>;
    case "status":
      return (
        <>
          <strong>status</strong> <pre className="whitespace-pre-wrap">{showData(entry.data)}</pre>
        </>
      );
    case "reply":
      return (
        <>
          <strong>← {entry.command}</strong>{" "}
          <pre className="whitespace-pre-wrap">{showData(entry.data)}</pre>
        </>
      );
    case "error":
      return (
        <span className="text-red-800">
          error {entry.error_type}: {entry.message}
        </span>
      );
  }
}
