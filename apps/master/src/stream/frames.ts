import type { StreamReset } from "@dockflow/protocol";
import { streamChange } from "../db/repositories/changes.ts";
import type { ChangeRow } from "../db/schema.ts";

/** The Server-Sent Events frames of the change stream. */

/** `id`, `event: change` and the `StreamChange` as JSON (one line: JSON escapes newlines). */
export function changeFrame(row: ChangeRow): string {
  return `id: ${row.id}\nevent: change\ndata: ${JSON.stringify(streamChange(row))}\n\n`;
}

/** Tells the client to refetch everything, then follow the stream from `id`. */
export function resetFrame(id: string, message: string): string {
  const body: StreamReset = { message };
  return `id: ${id}\nevent: reset\ndata: ${JSON.stringify(body)}\n\n`;
}

/** The first bytes: the reconnection delay EventSource should use (and the headers go out). */
export const openingFrame = (retryMs: number) => `retry: ${retryMs}\n\n`;

/** A comment that keeps proxies from closing an idle stream. */
export const pingFrame = ": ping\n\n";
