/**
 * The ideal relay the flow manager is compared with, in its own process like the manager: a
 * Socket.IO server whose `send_message` is written, as one NDJSON line, to one persistent
 * connection to a flow container's runtime socket; the client gets `message_sent`, then the
 * container's reply as `message_received` (same payload shapes as the manager's). No validation,
 * no logging, no Docker: the least a relay between these two protocols can do.
 * Usage (spawned by flow-relay.ts): tsx bench/flow-ideal-relay.ts <port> <flow.sock path> <container id>
 */
import { connect } from "node:net";
import type { Socket } from "socket.io";
import { serveSocketIo } from "./socket-io-server.ts";

const port = Number(process.argv[2] ?? 0);
const socketPath = process.argv[3];
const containerId = process.argv[4] ?? "";
if (!socketPath) throw new Error("usage: flow-ideal-relay.ts <port> <socket path> <container id>");

interface Waiting {
  client: Socket;
  requestId: unknown;
}
const waiting = new Map<string, Waiting>();
let counter = 0;

const flow = connect(socketPath);
flow.setNoDelay(true);
let buffered = "";
flow.setEncoding("utf8");
flow.on("data", (text: string) => {
  buffered += text;
  let newline = buffered.indexOf("\n");
  while (newline >= 0) {
    const reply = JSON.parse(buffered.slice(0, newline)) as {
      reply_to?: string;
      command: string;
      data?: unknown;
    };
    buffered = buffered.slice(newline + 1);
    newline = buffered.indexOf("\n");
    const to = reply.reply_to === undefined ? undefined : waiting.get(reply.reply_to);
    if (!to) continue;
    if (reply.command !== "status") waiting.delete(reply.reply_to as string);
    to.client.emit("message_received", {
      request_id: to.requestId,
      container_id: containerId,
      message: reply,
      timestamp: new Date().toISOString(),
    });
  }
});

flow.once("connect", () => {
  serveSocketIo(port, () => flow.destroy()).on("connection", (client) => {
    client.on(
      "send_message",
      (req: { request_id?: string; message: { command: string; data?: unknown } }) => {
        const id = `ideal-${++counter}`;
        waiting.set(id, { client, requestId: req.request_id });
        client.emit("message_sent", {
          request_id: req.request_id,
          container_id: containerId,
          message_id: id,
        });
        flow.write(
          `${JSON.stringify({ id, command: req.message.command, data: req.message.data })}\n`,
        );
      },
    );
  });
});
