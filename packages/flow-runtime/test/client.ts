import { connect, type Socket } from "node:net";
import type { ContainerEnvelope } from "@dockflow/protocol";
import { waitFor } from "@dockflow/testkit";
import { encodeEnvelope, LineReader } from "../src/index.ts";

export interface Exchange {
  /** The final reply (`result` or `error`). */
  final: ContainerEnvelope;
  /** The `status` replies that came before it. */
  statuses: ContainerEnvelope[];
}

let nextId = 1;

/** A manager-side test client: NDJSON over the runtime's Unix socket. */
export class TestClient {
  /** Every envelope received, in order. */
  readonly received: ContainerEnvelope[] = [];
  readonly #reader = new LineReader();
  readonly #waiting = new Map<string, (exchange: Exchange) => void>();
  readonly #statuses = new Map<string, ContainerEnvelope[]>();
  #closed = false;

  private constructor(readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      for (const event of this.#reader.push(chunk)) {
        if (event.type !== "message") throw new Error(`runtime sent a bad line: ${event.type}`);
        this.#onEnvelope(event.value as ContainerEnvelope);
      }
    });
    socket.on("close", () => {
      this.#closed = true;
    });
  }

  static connect(path: string): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(path);
      socket.once("error", reject);
      socket.once("connect", () => {
        socket.off("error", reject);
        resolve(new TestClient(socket));
      });
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Unasked messages (no reply_to) received so far. */
  get unasked(): ContainerEnvelope[] {
    return this.received.filter((m) => m.reply_to === undefined);
  }

  #onEnvelope(envelope: ContainerEnvelope): void {
    this.received.push(envelope);
    const id = envelope.reply_to;
    if (id === undefined) return;
    if (envelope.command === "status") {
      this.#statuses.get(id)?.push(envelope);
      return;
    }
    const resolve = this.#waiting.get(id);
    if (!resolve) return;
    this.#waiting.delete(id);
    resolve({ final: envelope, statuses: this.#statuses.get(id) ?? [] });
    this.#statuses.delete(id);
  }

  write(raw: string | Uint8Array): void {
    this.socket.write(raw);
  }

  /** Sends a request; resolves with its statuses and final reply. */
  exchange(command: string, data?: unknown, id = `req-${nextId++}`): Promise<Exchange> {
    const done = new Promise<Exchange>((resolve) => {
      this.#waiting.set(id, resolve);
      this.#statuses.set(id, []);
    });
    this.socket.write(encodeEnvelope({ id, command, data }));
    return done;
  }

  /** Sends a request and returns the final reply's data, failing on an `error` reply. */
  async call(command: string, data?: unknown): Promise<unknown> {
    const { final } = await this.exchange(command, data);
    if (final.command !== "result") {
      throw new Error(`${command} answered ${final.command}: ${JSON.stringify(final.data)}`);
    }
    return final.data;
  }

  /** Waits for a received envelope matching `predicate` (the first one from index `from`). */
  waitForMessage(
    predicate: (envelope: ContainerEnvelope) => boolean,
    from = 0,
  ): Promise<ContainerEnvelope> {
    return waitFor(() => this.received.slice(from).find(predicate), {
      message: "a matching message from the runtime",
      timeoutMs: 20_000,
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
