import { randomUUID } from "node:crypto";
import { connect } from "node:net";
import { encodeEnvelope, LineReader } from "./ndjson.ts";
import type { PingResult } from "./runtime.ts";

/**
 * Connects to a runtime's socket, sends `flow.ping` and resolves with the pong's data; rejects on
 * a connection error, an error reply, or no reply within `timeoutMs`. Used by `runtime.mjs
 * healthcheck`; a minimal example of a manager-side client too.
 */
export function pingRuntime(socketPath: string, timeoutMs = 5000): Promise<PingResult> {
  return new Promise((resolve, reject) => {
    const id = `ping-${randomUUID()}`;
    const reader = new LineReader();
    const socket = connect(socketPath);
    let settled = false;
    const finish = (error: Error | null, value?: PingResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(value as PingResult);
    };
    const timer = setTimeout(
      () => finish(new Error(`no reply to flow.ping within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.on("connect", () => socket.write(encodeEnvelope({ id, command: "flow.ping" })));
    socket.on("data", (chunk: Buffer) => {
      for (const event of reader.push(chunk)) {
        if (event.type !== "message") continue;
        const reply = event.value as { reply_to?: unknown; command?: unknown; data?: unknown };
        if (reply?.reply_to !== id) continue;
        if (reply.command === "result") finish(null, reply.data as PingResult);
        else finish(new Error(`flow.ping failed: ${JSON.stringify(reply.data)}`));
      }
    });
    socket.on("error", (error) => finish(error));
    socket.on("close", () => finish(new Error("the runtime closed the connection")));
  });
}
