import { EventEmitter } from "node:events";
import { sql } from "kysely";
import pg from "pg";
import type { Logger } from "pino";
import { KEYS_CHANNEL } from "./migrations.ts";
import type { Executor } from "./repositories/executor.ts";

const CHANNEL = "dockflow_commands";

/**
 * Wakes long polls when commands are queued for an agent, and tells the key cache when agent keys
 * changed. On PostgreSQL it is `LISTEN/NOTIFY`, so a command queued (or a key revoked) through one
 * master or the CLI reaches every master; on PGlite (one process) it is an in-process signal.
 */
export interface DatabaseNotifier {
  /** Inside the enqueuing transaction (PostgreSQL delivers NOTIFY at commit). */
  notifyInTransaction(tx: Executor, agentIds: string[]): Promise<void>;
  /** After the enqueuing transaction committed. */
  notifyCommitted(agentIds: string[]): void;
  subscribe(agentId: string, listener: () => void): () => void;
  /**
   * Agent keys were changed by some process (the `agent_keys` trigger), or changes may have been
   * missed (the LISTEN connection was re-established).
   */
  onKeysChanged(listener: () => void): void;
  /** False while the LISTEN connection is down: pollers then re-check on their own. */
  healthy(): boolean;
  start(): Promise<void>;
  close(): Promise<void>;
}

class Listeners {
  private readonly emitter = new EventEmitter().setMaxListeners(0);
  emit(agentId: string) {
    this.emitter.emit(agentId);
  }
  subscribe(agentId: string, listener: () => void) {
    this.emitter.on(agentId, listener);
    return () => {
      this.emitter.off(agentId, listener);
    };
  }
}

export function createLocalNotifier(): DatabaseNotifier {
  const listeners = new Listeners();
  return {
    async notifyInTransaction() {},
    notifyCommitted(agentIds) {
      for (const id of new Set(agentIds)) listeners.emit(id);
    },
    subscribe: (agentId, listener) => listeners.subscribe(agentId, listener),
    // One process: whoever changes a key invalidates the cache itself.
    onKeysChanged() {},
    healthy: () => true,
    async start() {},
    async close() {},
  };
}

export function createPostgresNotifier(url: string, logger: Logger): DatabaseNotifier {
  const listeners = new Listeners();
  const keyListeners: (() => void)[] = [];
  const keysChanged = () => {
    for (const listener of keyListeners) listener();
  };
  let client: pg.Client | undefined;
  let connected = false;
  let closed = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let attempt = 0;

  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: url });
    c.on("notification", (message) => {
      if (message.channel === CHANNEL && message.payload) listeners.emit(message.payload);
      if (message.channel === KEYS_CHANNEL) keysChanged();
    });
    c.on("error", (error) => {
      logger.warn({ err: { message: error.message } }, "notifier connection lost");
      reconnect(c);
    });
    c.on("end", () => reconnect(c));
    await c.connect();
    await c.query(`LISTEN ${CHANNEL}; LISTEN ${KEYS_CHANNEL}`);
    client = c;
    connected = true;
    attempt = 0;
    keysChanged();
  };

  const reconnect = (failed: pg.Client) => {
    if (closed || client !== failed || retryTimer) return;
    connected = false;
    failed.end().catch(() => undefined);
    const delay = Math.min(30_000, 500 * 2 ** attempt++);
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      connect().catch((error: Error) => {
        logger.warn({ err: { message: error.message } }, "notifier reconnect failed");
        if (client) reconnect(client);
      });
    }, delay);
  };

  return {
    async notifyInTransaction(tx, agentIds) {
      for (const id of new Set(agentIds)) {
        await sql`select pg_notify(${CHANNEL}, ${id})`.execute(tx);
      }
    },
    notifyCommitted() {},
    subscribe: (agentId, listener) => listeners.subscribe(agentId, listener),
    onKeysChanged(listener) {
      keyListeners.push(listener);
    },
    healthy: () => connected,
    start: connect,
    async close() {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      connected = false;
      await client?.end().catch(() => undefined);
    },
  };
}
