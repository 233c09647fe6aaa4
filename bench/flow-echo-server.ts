/**
 * The bare Socket.IO echo the relay is compared with, in its own process like the manager:
 * `echo` requests are answered with an `echo_reply` event carrying the same payload.
 * Usage (spawned by flow-relay.ts): tsx bench/flow-echo-server.ts <port>
 */
import { serveSocketIo } from "./socket-io-server.ts";

serveSocketIo(Number(process.argv[2] ?? 0)).on("connection", (socket) => {
  socket.on("echo", (payload: unknown) => {
    socket.emit("echo_reply", payload);
  });
});
