import type { ErrorBody, MessageReceived, MessageSent } from "@dockflow/protocol";
import type { z } from "zod";

/**
 * The message console's transcript, in the order things happened: what the operator sent, the
 * manager's `message_sent`, each `status` reply, then the final reply or the error.
 */
export type TranscriptEntry =
  | { kind: "request"; seq: number; command: string; data: unknown }
  | { kind: "sent"; seq: number; message_id: string }
  | { kind: "status"; seq: number; data: unknown }
  | { kind: "reply"; seq: number; command: string; data: unknown }
  | { kind: "error"; seq: number; error_type: string; message: string };

type Received = z.infer<typeof MessageReceived>;

export interface Transcript {
  entries: TranscriptEntry[];
  next: number;
}

export const emptyTranscript: Transcript = { entries: [], next: 1 };

type Event =
  | { type: "request"; command: string; data: unknown }
  | { type: "sent"; sent: z.infer<typeof MessageSent> }
  | { type: "status"; received: Received }
  | { type: "reply"; received: Received }
  | { type: "error"; error: ErrorBody | Error };

/** Appends one event, keeping at most `max` entries (the oldest go first). */
export function appendTranscript(transcript: Transcript, event: Event, max = 200): Transcript {
  const seq = transcript.next;
  const entry = toEntry(event, seq);
  const entries = [...transcript.entries, entry];
  return {
    entries: entries.length > max ? entries.slice(entries.length - max) : entries,
    next: seq + 1,
  };
}

function toEntry(event: Event, seq: number): TranscriptEntry {
  switch (event.type) {
    case "request":
      return { kind: "request", seq, command: event.command, data: event.data };
    case "sent":
      return { kind: "sent", seq, message_id: event.sent.message_id };
    case "status":
      return { kind: "status", seq, data: event.received.message.data };
    case "reply":
      return {
        kind: "reply",
        seq,
        command: event.received.message.command,
        data: event.received.message.data,
      };
    case "error":
      return event.error instanceof Error
        ? { kind: "error", seq, error_type: event.error.name, message: event.error.message }
        : { kind: "error", seq, error_type: event.error.error_type, message: event.error.message };
  }
}

/** Message data as the console shows it: JSON, indented, or `(none)`. */
export function showData(data: unknown): string {
  if (data === undefined) return "(none)";
  try {
    return JSON.stringify(data, null, 2) ?? String(data);
  } catch {
    return String(data);
  }
}

/** The data field of the send form: empty is no data, otherwise JSON. */
export function parseMessageData(
  text: string,
): { ok: true; data: unknown } | { ok: false; message: string } {
  if (text.trim() === "") return { ok: true, data: undefined };
  try {
    return { ok: true, data: JSON.parse(text) };
  } catch (error) {
    return { ok: false, message: `data must be JSON (${(error as Error).message})` };
  }
}
