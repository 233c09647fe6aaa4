import type { ConsoleConfig } from "@dockflow/protocol";
import type { Guards } from "../auth/guards.ts";
import type { CommandQueue } from "../queue/command-queue.ts";
import type { AgentService } from "../services/agents.ts";
import type { EventService } from "../services/events.ts";
import type { KeyService } from "../services/keys.ts";
import type { Reconciler } from "../services/reconciler.ts";
import type { SessionService } from "../services/sessions.ts";
import type { StateService } from "../services/state.ts";
import type { TunnelIngressService } from "../services/tunnel-ingress.ts";
import type { ChangeHub } from "../stream/change-hub.ts";
import type { WebhookService } from "../webhooks/service.ts";

/** What the routes use; built by the composition root. */
export interface ApiDeps {
  guards: Guards;
  agents: AgentService;
  events: EventService;
  keys: KeyService;
  queue: CommandQueue;
  reconciler: Reconciler;
  state: StateService;
  /** A tunnel's live ingress from Cloudflare (`GET /tunnels/{agent_id}/ingress`). */
  tunnelIngress: TunnelIngressService;
  sessions: SessionService;
  /** The operators' change stream (`GET /stream`). */
  stream: ChangeHub;
  /** The operators' webhooks (`/webhooks`). */
  webhooks: WebhookService;
  /** What `GET /console/config` answers. */
  console: ConsoleConfig;
  /** Longest `?wait=` honoured by the command long poll, in seconds. */
  longPollMaxSeconds: number;
}
