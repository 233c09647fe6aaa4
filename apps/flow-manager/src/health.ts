import type { IncomingMessage, ServerResponse } from "node:http";

export interface HealthSources {
  dockerReachable(): Promise<boolean>;
  containersManaged(): number;
  clientsConnected(): number;
  version: string;
}

/** `GET /health`: JSON with status, whether Docker answers, and how many containers are managed. */
export function healthHandler(sources: HealthSources) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (req.url?.startsWith("/socket.io")) return; // Socket.IO answers those
    const path = req.url?.split("?")[0];
    if (req.method !== "GET" || path !== "/health") {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: "not found" }));
      return;
    }
    void sources.dockerReachable().then((docker) => {
      res.writeHead(docker ? 200 : 503, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          status: docker ? "ok" : "degraded",
          docker_reachable: docker,
          containers_managed: sources.containersManaged(),
          clients_connected: sources.clientsConnected(),
          version: sources.version,
        }),
      );
    });
  };
}
