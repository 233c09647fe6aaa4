import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface HealthSnapshot {
  engineReachable: boolean;
  registered: boolean;
  agentId: string | undefined;
  mode: string;
  lastMasterContact: Date | undefined;
  eventsConnected: boolean;
  queuedEvents: number;
  /** Contact older than this makes the agent not ready. */
  maxContactAgeMs: number;
}

/**
 * `GET /healthz` (liveness: the process answers) and `GET /readyz` (engine reachable, registered,
 * master contacted recently): 200 or 503 with the same JSON body.
 */
export async function startHealthServer(
  host: string,
  port: number,
  snapshot: () => Promise<HealthSnapshot>,
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" || (path !== "/healthz" && path !== "/readyz")) {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: "not_found" }));
      return;
    }
    void snapshot().then((s) => {
      const contactAgeMs = s.lastMasterContact
        ? Date.now() - s.lastMasterContact.getTime()
        : undefined;
      const masterRecent = contactAgeMs !== undefined && contactAgeMs <= s.maxContactAgeMs;
      const ready = s.engineReachable && s.registered && masterRecent;
      const body = {
        status: path === "/healthz" ? "ok" : ready ? "ready" : "not_ready",
        engine_reachable: s.engineReachable,
        engine_events_connected: s.eventsConnected,
        registered: s.registered,
        agent_id: s.agentId ?? null,
        mode: s.mode,
        last_master_contact: s.lastMasterContact?.toISOString() ?? null,
        queued_events: s.queuedEvents,
      };
      res.writeHead(path === "/healthz" || ready ? 200 : 503, {
        "content-type": "application/json",
      });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
