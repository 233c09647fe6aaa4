import type { TunnelIngressView } from "@dockflow/protocol";
import type { Kysely } from "kysely";
import { type CloudflareGateway, markIngress } from "../cloudflare/index.ts";
import { getTunnel } from "../db/repositories/tunnels.ts";
import type { Database } from "../db/schema.ts";

export interface TunnelIngressServiceOptions {
  db: Kysely<Database>;
  gateway: CloudflareGateway;
}

/**
 * A tunnel's whole ingress read live from Cloudflare, each entry marked as written by the
 * master or by the operator. Cloudflare failures surface as the gateway's `CloudflareError`.
 */
export class TunnelIngressService {
  constructor(private readonly options: TunnelIngressServiceOptions) {}

  /** Undefined when the agent has no tunnel in Cloudflare (none yet, or no such agent). */
  async ingress(agentId: string): Promise<TunnelIngressView | undefined> {
    const tunnel = await getTunnel(this.options.db, agentId);
    if (!tunnel?.tunnel_id) return undefined;
    const current = await this.options.gateway.getIngress(tunnel.tunnel_id);
    const { entries, catchAll } = markIngress(current, tunnel.applied_keys);
    return {
      agent_id: agentId,
      tunnel_id: tunnel.tunnel_id,
      ingress: entries,
      catch_all: catchAll,
    };
  }
}
