import { z } from "zod";
import { Timestamp } from "../common.ts";
import { AgentId } from "./agents.ts";
import { AgentView, KeyView, RuleState, RuleView, TunnelView } from "./views.ts";

/** What the master adds for the operator console: sessions, pagination, the activity log, the change stream. */

/** `POST /session`: sign in with the admin token; the session travels in an HttpOnly cookie. */
export const SessionRequest = z.object({ token: z.string().min(1).max(4096) });
export type SessionRequest = z.infer<typeof SessionRequest>;

/** `POST` / `GET /session`: what the page keeps in memory (never the session id itself). */
export const SessionInfo = z.object({
  /** Sent back as `X-CSRF-Token` on every state-changing request authenticated by the cookie. */
  csrf_token: z.string(),
  expires_at: Timestamp,
});
export type SessionInfo = z.infer<typeof SessionInfo>;

/** `GET /console/config`: public settings of the console (no secrets). */
export const ConsoleConfig = z.object({
  /** Where the browser reaches the flow manager (Socket.IO); null when not configured. */
  flow_manager_url: z.string().nullable(),
});
export type ConsoleConfig = z.infer<typeof ConsoleConfig>;

/** Largest page; also the page size of a list asked for without `limit`. */
export const MAX_PAGE_SIZE = 1000;

/** `?limit=&cursor=` of every paginated list. The cursor is opaque: pass back `next_cursor`. */
export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).optional(),
  cursor: z.string().min(1).max(1024).optional(),
});
export type PageQuery = z.infer<typeof PageQuery>;

/** Null on the last page. */
export const NextCursor = z.string().nullable();

export const AgentPage = z.object({ agents: z.array(AgentView), next_cursor: NextCursor });
export const TunnelPage = z.object({ tunnels: z.array(TunnelView), next_cursor: NextCursor });
export const RulePage = z.object({ rules: z.array(RuleView), next_cursor: NextCursor });
export const KeyPage = z.object({ keys: z.array(KeyView), next_cursor: NextCursor });

/** `GET /rules`: filters on top of the page. */
export const RuleQuery = PageQuery.extend({
  agent_id: AgentId.optional(),
  state: RuleState.optional(),
  /** Case-insensitive substring of the hostname. */
  q: z.string().min(1).max(255).optional(),
});

/** One entry of the master's event log (newest first in `GET /activity`). */
export const ActivityEntry = z.object({
  id: z.string(),
  at: Timestamp,
  /** e.g. `agent_registered`, `rule_created`, `rule_grace`, `key_revoked`, `container_start`. */
  type: z.string(),
  agent_id: AgentId.nullable(),
  /** What the entry records: the agent's event as sent, or the master's own details. */
  payload: z.record(z.string(), z.unknown()),
});
export type ActivityEntry = z.infer<typeof ActivityEntry>;

export const ActivityQuery = PageQuery.extend({
  type: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[a-z_]+$/, "event types are lower-case words joined by '_'")
    .optional(),
  agent_id: AgentId.optional(),
  /** Case-insensitive substring of the type, the agent id or the payload's JSON text. */
  q: z.string().min(1).max(255).optional(),
});

export const ActivityPage = z.object({ entries: z.array(ActivityEntry), next_cursor: NextCursor });

const ChangeBase = {
  /** Monotonic change id (also the SSE `id:`): resume after it with `Last-Event-ID`. */
  id: z.string(),
  at: Timestamp,
};

export const AgentChange = z.discriminatedUnion("action", [
  z.object({
    ...ChangeBase,
    kind: z.literal("agent"),
    action: z.enum(["registered", "online", "offline"]),
    agent: AgentView,
  }),
  z.object({
    ...ChangeBase,
    kind: z.literal("agent"),
    action: z.literal("removed"),
    agent_id: AgentId,
  }),
]);

export const RuleChange = z.discriminatedUnion("action", [
  z.object({
    ...ChangeBase,
    kind: z.literal("rule"),
    /** `changed`: revived from grace, moved to another agent, or its target changed. */
    action: z.enum(["created", "changed", "grace"]),
    rule: RuleView,
  }),
  z.object({
    ...ChangeBase,
    kind: z.literal("rule"),
    /** Its grace period ended, or its agent was removed. */
    action: z.literal("removed"),
    hostname: z.string(),
    path: z.string().nullable(),
    agent_id: AgentId,
  }),
]);

export const TunnelChange = z.discriminatedUnion("action", [
  z.object({
    ...ChangeBase,
    kind: z.literal("tunnel"),
    action: z.literal("changed"),
    tunnel: TunnelView,
  }),
  z.object({
    ...ChangeBase,
    kind: z.literal("tunnel"),
    action: z.literal("removed"),
    agent_id: AgentId,
  }),
]);

/** The connector's state as its agent reported it (`tunnel_status`), when it differs from before. */
export const ConnectorChange = z.object({
  ...ChangeBase,
  kind: z.literal("connector"),
  action: z.literal("changed"),
  agent_id: AgentId,
  connector_status: z.string(),
  connector_version: z.string().nullable(),
});

export const KeyChange = z.object({
  ...ChangeBase,
  kind: z.literal("key"),
  /** `bound`: an agent registered with it. */
  action: z.enum(["issued", "bound", "revoked"]),
  key: KeyView,
});

/** A reconcile pass failed for one scope (`tunnel:<agent>`, `dns:<hostname>`, `pass`); retried. */
export const ReconcileChange = z.object({
  ...ChangeBase,
  kind: z.literal("reconcile"),
  action: z.literal("failed"),
  scope: z.string(),
  message: z.string(),
  agent_id: AgentId.nullable(),
});

/** An agent reported a container starting or stopping, or a command's result (activity log entry). */
export const EventChange = z.object({
  ...ChangeBase,
  kind: z.literal("event"),
  action: z.literal("logged"),
  entry: ActivityEntry,
});

/** One `event: change` of `GET /stream`: `{id, at, kind, action, ...payload}`. */
export const StreamChange = z.discriminatedUnion("kind", [
  AgentChange,
  RuleChange,
  TunnelChange,
  ConnectorChange,
  KeyChange,
  ReconcileChange,
  EventChange,
]);
export type StreamChange = z.infer<typeof StreamChange>;
export type StreamChangeKind = StreamChange["kind"];

/**
 * `event: reset` of `GET /stream`: the changes after the client's `Last-Event-ID` are no longer
 * kept (or the id is unknown); refetch everything, then follow the stream from `id`.
 */
export const StreamReset = z.object({ message: z.string() });
export type StreamReset = z.infer<typeof StreamReset>;
