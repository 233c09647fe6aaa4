import { join } from "node:path";
import { type ContainerEnvelope, FLOW_SOCKET_NAME } from "@dockflow/protocol";
import type { Logger } from "pino";
import { ContainerConnection } from "./container-socket.ts";

export interface ConnectionPoolOptions {
  /** Messages a container sends that answer no request. */
  onUnasked: (containerId: string, envelope: ContainerEnvelope) => void;
  log: Logger;
}

/** One ContainerConnection per container (by id), created on first use. */
export class ConnectionPool {
  private readonly connections = new Map<string, ContainerConnection>();

  constructor(private readonly options: ConnectionPoolOptions) {}

  get(containerId: string, socketDir: string): ContainerConnection {
    let conn = this.connections.get(containerId);
    if (!conn) {
      conn = new ContainerConnection(
        join(socketDir, FLOW_SOCKET_NAME),
        (env) => this.options.onUnasked(containerId, env),
        this.options.log.child({ container_id: containerId }),
      );
      this.connections.set(containerId, conn);
    }
    return conn;
  }

  /** Keep the connection up (container running) or let it go (stopped). */
  setActive(containerId: string, socketDir: string | null, active: boolean): void {
    if (!socketDir) return;
    if (active) this.get(containerId, socketDir).setActive(true);
    else this.connections.get(containerId)?.setActive(false);
  }

  get openCount(): number {
    let n = 0;
    for (const c of this.connections.values()) if (c.connected) n++;
    return n;
  }

  close(containerId: string, reason?: string): void {
    this.connections.get(containerId)?.close(reason);
    this.connections.delete(containerId);
  }

  closeAll(): void {
    for (const id of [...this.connections.keys()])
      this.close(id, "the flow manager is shutting down");
  }
}
