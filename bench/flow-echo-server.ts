/**
 * The bare Socket.IO echo the relay is compared with, in its own process like the manager:
 * `echo` requests are answered with an `echo_reply` event carrying the same payload.
 * Usage (spawned by flow-relay.ts): tsx bench/flow-echo-server.ts <port>
 */
import { createServer } from "node:http";
import { Server } from "socket.io";

const port = Number(process.argv[2] ?? 0);
const http = createServer();
const io = new Server(http, { serveClient: false });
io.on("connection", (socket) => {
  socket.on("echo", (payload: unknown) => {
    socket.emit("echo_reply", payload);
  });
});
http.listen(port, "127.0.0.1", () => {
  const address = http.address();
  process.stdout.write(
    `${JSON.stringify({ port: typeof address === "object" ? address?.port : port })}\n`,
  );
});
process.on("SIGTERM", () => {
  io.close();
  process.exit(0);
});
