import { StreamChange, StreamReset } from "@dockflow/protocol";
import { waitFor } from "@dockflow/testkit";

/** One Server-Sent Events frame as the stream sent it (comments are counted, not kept). */
export interface SseFrame {
  id?: string;
  event?: string;
  data?: string;
}

/** Test-only: reads `GET /stream` and parses its frames. */
export interface StreamReader {
  response: Response;
  frames: SseFrame[];
  /** `: ping` comments seen. */
  comments: number;
  /** The parsed `event: change` frames, in order. */
  changes(): StreamChange[];
  resets(): StreamReset[];
  /** Waits until at least `count` changes arrived; returns the first `count`. */
  waitForChanges(count: number): Promise<StreamChange[]>;
  close(): void;
}

export function parseFrame(text: string): SseFrame | "comment" {
  const frame: SseFrame = {};
  let comment = false;
  for (const line of text.split("\n")) {
    if (line.startsWith(":")) comment = true;
    const [field, ...rest] = line.split(":");
    const value = rest.join(":").replace(/^ /, "");
    if (field === "id") frame.id = value;
    if (field === "event") frame.event = value;
    if (field === "data") frame.data = frame.data === undefined ? value : `${frame.data}\n${value}`;
  }
  return comment && frame.event === undefined ? "comment" : frame;
}

export async function openStream(
  url: string,
  init: { token?: string; cookie?: string; lastEventId?: string } = {},
): Promise<StreamReader> {
  const controller = new AbortController();
  const headers = new Headers();
  if (init.token) headers.set("authorization", `Bearer ${init.token}`);
  if (init.cookie) headers.set("cookie", init.cookie);
  if (init.lastEventId) headers.set("last-event-id", init.lastEventId);
  const response = await fetch(`${url}/api/v2/stream`, { headers, signal: controller.signal });
  const reader: StreamReader = {
    response,
    frames: [],
    comments: 0,
    changes: () =>
      reader.frames
        .filter((f) => f.event === "change")
        .map((f) => StreamChange.parse(JSON.parse(f.data ?? ""))),
    resets: () =>
      reader.frames
        .filter((f) => f.event === "reset")
        .map((f) => StreamReset.parse(JSON.parse(f.data ?? ""))),
    async waitForChanges(count) {
      await waitFor(() => reader.changes().length >= count, {
        message: `${count} changes on the stream (have ${reader.changes().length})`,
      });
      return reader.changes().slice(0, count);
    },
    close: () => controller.abort(),
  };
  if (response.status === 200 && response.body) {
    const decoder = new TextDecoder();
    let buffer = "";
    const pump = async () => {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end = buffer.indexOf("\n\n");
        while (end >= 0) {
          const parsed = parseFrame(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          if (parsed === "comment") reader.comments += 1;
          else reader.frames.push(parsed);
          end = buffer.indexOf("\n\n");
        }
      }
    };
    pump().catch(() => undefined);
  }
  return reader;
}
