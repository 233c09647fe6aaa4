/**
 * A hostile container side of the container protocol (docs/container-protocol.md), run with
 * `node /hostile/server.mjs <mode>` in the flow image instead of the runtime. Each mode abuses the
 * manager differently whenever it receives a request:
 * - garbage: binary junk, invalid JSON and UTF-8, envelopes of the wrong shape, a prototype-
 *   pollution payload, replies to unknown ids, then the real reply, then a duplicate reply;
 * - giant: a 20 MiB line of junk and a 17 MiB JSON line (both over the 16 MiB limit), then the reply;
 * - flood: `data.count` unasked messages as fast as the socket takes them, then the reply;
 * - silent: 1 MiB without a newline, and never a reply;
 * - hijack: final replies to 50 ids around its own (other containers' requests), then its reply;
 * - closer: drops the connection on every request.
 */
export const HOSTILE_SERVER = String.raw`
import fs from "node:fs";
import net from "node:net";
const mode = process.argv[2];
const path = "/run/flow/flow.sock";
try { fs.unlinkSync(path); } catch {}
const line = (o) => JSON.stringify(o) + "\n";
const write = (sock, chunk) =>
  new Promise((done) => (sock.write(chunk) ? done() : sock.once("drain", done)));
async function handle(sock, req) {
  const id = req.id;
  const result = (data) => write(sock, line({ reply_to: id, command: "result", data }));
  if (req.command === "flow.ping") return result({ pong: true, pid: process.pid, uptime_ms: 0, code_version: "hostile" });
  if (mode === "garbage") {
    await write(sock, Buffer.from([0, 1, 2, 0xff, 0xfe, 10]));
    await write(sock, "this is not json\n");
    await write(sock, Buffer.concat([Buffer.from('{"command":"x","data":"'), Buffer.from([0xc3, 0x28, 0xa0, 0xa1]), Buffer.from('"}\n')]));
    for (const bad of [[1, 2, 3], null, 42, "str", { reply_to: 5, command: "result" }, { command: "" }, { command: "x".repeat(300) }, { reply_to: "", command: "result" }, { reply_to: "r".repeat(200), command: "result" }]) {
      await write(sock, line(bad));
    }
    await write(sock, '{"reply_to":"' + id + '","command":"status","data":{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}}\n');
    await write(sock, line({ reply_to: "no-such-request", command: "result", data: "stray" }));
    await write(sock, "\r\n\n   \n");
    await result({ echoed: req.data ?? null });
    await write(sock, line({ reply_to: id, command: "result", data: "duplicate" }));
    return;
  }
  if (mode === "giant") {
    await write(sock, Buffer.alloc(20 * 1024 * 1024, 0x61));
    await write(sock, "\n");
    await write(sock, '{"command":"giant","data":"' + "b".repeat(17 * 1024 * 1024) + '"}\n');
    return result({ survived: true });
  }
  if (mode === "flood") {
    const count = req.data?.count ?? 1000;
    for (let i = 0; i < count; i++) await write(sock, line({ command: "flood", data: { i } }));
    return result({ flooded: count });
  }
  if (mode === "silent") return write(sock, Buffer.alloc(1024 * 1024, 0x7a));
  if (mode === "hijack") {
    const cut = id.lastIndexOf("-");
    const prefix = id.slice(0, cut);
    const n = Number(id.slice(cut + 1));
    for (let k = -25; k <= 25; k++) {
      if (k !== 0) await write(sock, line({ reply_to: prefix + "-" + (n + k), command: "result", data: "hijacked" }));
    }
    return result({ mine: true });
  }
  if (mode === "closer") sock.destroy();
}
const server = net.createServer((sock) => {
  let buf = Buffer.alloc(0);
  sock.on("error", () => {});
  sock.on("data", (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    let nl;
    while ((nl = buf.indexOf(10)) >= 0) {
      const text = buf.subarray(0, nl).toString("utf8");
      buf = buf.subarray(nl + 1);
      let req;
      try { req = JSON.parse(text); } catch { continue; }
      if (req && typeof req.id === "string") handle(sock, req).catch(() => {});
    }
  });
});
server.listen(path, () => fs.chmodSync(path, 0o666));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
`;

export const HOSTILE_MODES = ["garbage", "giant", "flood", "silent", "hijack", "closer"] as const;
export type HostileMode = (typeof HOSTILE_MODES)[number];
