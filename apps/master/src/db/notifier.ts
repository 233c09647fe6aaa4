import { EventEmitter } from "node:events";
import type { PGlite } from "@electric-sql/pglite";
import { sql } from "kysely";
import pg from "pg";
import type { Logger } from "pino";
import { CHANGES_CHANNEL, KEYS_CHANNEL } from "./migrations.ts";
import type { Executor } from "./repositories/executor.ts";

const CHANNEL = "dockflow_commands";

/**
 * Wakes long polls when commands are queued for an agent, tells the key cache when agent keys
 * changed, and the change stream when changes were recorded. On PostgreSQL it is `LISTEN/NOTIFY`,
 * so a command queued (or a key revoked, a change recorded) through one master or the CLI reaches
 * every master; on PGlite (one process) commands and keys are an in-process signal, and recorded
 * changes PGlite's own LISTEN/NOTIFY.
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
  /**
   * Changes were recorded (the `changes` trigger's NOTIFY, delivered at commit), or may have been
   * while the LISTEN connection was down.
   */
  onChanges(listener: () => void): void;
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

export function createLocalNotifier(pglite?: PGlite): DatabaseNotifier {
  const listeners = new Listeners();
  const changeListeners: (() => void)[] = [];
  let unlisten: (() => Promise<void>) | undefined;
  return {
    async notifyInTransaction() {},
    notifyCommitted(agentIds) {
      for (const id of new Set(agentIds)) listeners.emit(id);
    },
    subscribe: (agentId, listener) => listeners.subscribe(agentId, listener),
    // One process: whoever changes a key invalidates the cache itself.
    onKeysChanged() {},
    onChanges(listener) {
      changeListeners.push(listener);
    },
    healthy: () => true,
    async start() {
      unlisten = await pglite?.listen(CHANGES_CHANNEL, () => {
        for (const listener of changeListeners) listener();
      });
    },
    async close() {
      await unlisten?.().catch(() => undefined);
    },
  };
}

export function createPostgresNotifier(url: string, logger: Logger): DatabaseNotifier {
  const listeners = new Listeners();
  const keyListeners: (() => void)[] = [];
  const keysChanged = () => {
    for (const listener of keyListeners) listener();
  };
  const changeListeners: (() => void)[] = [];
  const changesRecorded = () => {
    for (const listener of changeListeners) listener();
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
      if (message.channel === CHANGES_CHANNEL) changesRecorded();
    });
    c.on("error", (error) => {
      logger.warn({ err: { message: error.message } }, "notifier connection lost");
      reconnect(c);
    });
    c.on("end", () => reconnect(c));
    await c.connect();
    await c.query(`LISTEN ${CHANNEL}; LISTEN ${KEYS_CHANNEL}; LISTEN ${CHANGES_CHANNEL}`);
    client = c;
    connected = true;
    attempt = 0;
    keysChanged();
    changesRecorded();
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
    onChanges(listener) {
      changeListeners.push(listener);
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
