import type { Kysely } from "kysely";
import type { Logger } from "pino";
import { latestChangeId, prunedThrough, readChangesAfter } from "../db/repositories/changes.ts";
import type { Database } from "../db/schema.ts";
import { changeFrame, openingFrame, pingFrame, resetFrame } from "./frames.ts";
import { SseConnection } from "./sse-connection.ts";

/**
 * Changes read at once. A page goes to every client in one go, so it must fit in a client's
 * buffer; between pages the hub yields, so sockets drain.
 */
const PAGE = 100;

export interface ChangeHubOptions {
  db: Kysely<Database>;
  logger: Logger;
  /** Bytes queued per client before it is cut off. */
  maxBufferedBytes: number;
  pingIntervalMs: number;
}

interface Client {
  connection: SseConnection;
  /** The last change id sent (or skipped as older than the client's start). */
  lastId: bigint;
  /** While a resuming client replays missed changes: live frames that came meanwhile. */
  pending: { id: bigint; frame: string }[] | undefined;
  pendingBytes: number;
}

/**
 * Fans recorded changes out to the operators' Server-Sent Events clients. Every change is read
 * from the `changes` table after its commit was announced (LISTEN/NOTIFY through the notifier, so
 * changes made by any master sharing the database), in id order, which is commit order.
 */
export class ChangeHub {
  private readonly clients = new Set<Client>();
  /** The newest change read and sent out. */
  private lastId = 0n;
  private reading: Promise<void> | undefined;
  private readAgain = false;
  private pingTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ChangeHubOptions) {}

  async start(): Promise<void> {
    this.lastId = BigInt(await latestChangeId(this.options.db));
    this.pingTimer = setInterval(() => this.ping(), this.options.pingIntervalMs);
    this.pingTimer.unref();
  }

  /** Connected clients (tests, metrics). */
  get size(): number {
    return this.clients.size;
  }

  /** The newest change id read and sent out. */
  get position(): string {
    return String(this.lastId);
  }

  /** New changes were committed (or may have been while notifications were down): read them. */
  notified(): void {
    if (this.reading) {
      this.readAgain = true;
      return;
    }
    this.reading = this.readNew()
      .catch((error: Error) =>
        this.options.logger.warn({ err: { message: error.message } }, "reading changes failed"),
      )
      .finally(() => {
        this.reading = undefined;
        if (this.readAgain) {
          this.readAgain = false;
          this.notified();
        }
      });
  }

  /**
   * A new client. Without `lastEventId` it gets changes from now on; with one it first gets every
   * change after that id, or `event: reset` when those are no longer kept.
   */
  async connect(lastEventId: string | undefined, destroy?: () => void): Promise<SseConnection> {
    const client: Client = {
      connection: new SseConnection({
        maxBufferedBytes: this.options.maxBufferedBytes,
        onClose: () => this.clients.delete(client),
        destroy,
      }),
      lastId: this.lastId,
      pending: lastEventId === undefined ? undefined : [],
      pendingBytes: 0,
    };
    client.connection.write(openingFrame(2000));
    this.clients.add(client);
    if (lastEventId !== undefined) {
      this.resume(client, BigInt(lastEventId)).catch((error: Error) => {
        this.options.logger.warn({ err: { message: error.message } }, "stream resume failed");
        client.connection.close();
      });
    }
    return client.connection;
  }

  close(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    for (const client of this.clients) client.connection.close();
  }

  private async readNew(): Promise<void> {
    for (;;) {
      const rows = await readChangesAfter(this.options.db, String(this.lastId), PAGE);
      for (const row of rows) {
        const id = BigInt(row.id);
        this.lastId = id;
        const frame = changeFrame(row);
        for (const client of this.clients) this.deliver(client, id, frame);
      }
      if (rows.length < PAGE) return;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private deliver(client: Client, id: bigint, frame: string) {
    if (client.pending) {
      client.pending.push({ id, frame });
      client.pendingBytes += frame.length;
      if (client.pendingBytes > this.options.maxBufferedBytes) client.connection.close();
      return;
    }
    if (id <= client.lastId) return;
    client.lastId = id;
    client.connection.write(frame);
  }

  /** Sends the changes after `after` (at the client's pace), then what came live meanwhile. */
  private async resume(client: Client, after: bigint): Promise<void> {
    const { db } = this.options;
    const [pruned, newest] = (await Promise.all([prunedThrough(db), latestChangeId(db)])).map(
      BigInt,
    ) as [bigint, bigint];
    // Everything may have been pruned: the newest id is then the pruned mark.
    let latest = newest;
    if (pruned > latest) latest = pruned;
    const { connection } = client;
    let cursor = after;
    if (after < pruned || after > latest) {
      // Too old (pruned) or unknown (e.g. another database): start over from the present.
      cursor = client.lastId;
      connection.write(
        resetFrame(
          String(cursor),
          after < pruned
            ? "changes after that Last-Event-ID are no longer kept: refetch everything"
            : "unknown Last-Event-ID: refetch everything",
        ),
      );
    } else {
      for (;;) {
        const rows = await readChangesAfter(db, String(cursor), PAGE);
        for (const row of rows) {
          await connection.drained();
          if (connection.closed) return;
          cursor = BigInt(row.id);
          connection.write(changeFrame(row));
        }
        if (rows.length < PAGE) break;
      }
    }
    const pending = client.pending ?? [];
    client.pending = undefined;
    client.lastId = cursor;
    for (const { id, frame } of pending) this.deliver(client, id, frame);
  }

  private ping() {
    for (const client of this.clients) client.connection.write(pingFrame);
  }
}
