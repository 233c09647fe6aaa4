/**
 * The Socket.IO server of the bench's comparison processes (flow-echo-server.ts,
 * flow-ideal-relay.ts): listens on 127.0.0.1:`port` (0 picks one), prints `{"port": n}` on stdout
 * once listening (what flow-relay.ts waits for), and exits on SIGTERM after `onClose`.
 */
import { createServer } from "node:http";
import { Server } from "socket.io";

export function serveSocketIo(port: number, onClose: () => void = () => {}): Server {
  const http = createServer();
  const io = new Server(http, { serveClient: false });
  http.listen(port, "127.0.0.1", () => {
    const address = http.address();
    process.stdout.write(
      `${JSON.stringify({ port: typeof address === "object" ? address?.port : port })}\n`,
    );
  });
  process.on("SIGTERM", () => {
    io.close();
    onClose();
    process.exit(0);
  });
  return io;
}
