const encoder = new TextEncoder();

export interface SseConnectionOptions {
  /** Bytes queued for a client that does not read; past them it is cut off. */
  maxBufferedBytes: number;
  /** Called once, when the connection ends (closed, cut off, or the client went away). */
  onClose: () => void;
  /**
   * Drops the client's connection (the HTTP server then cancels this stream, which discards its
   * queue); without it, the stream errors, which makes the server drop the connection.
   */
  destroy?: (() => void) | undefined;
}

/**
 * The body of one Server-Sent Events response: a byte stream whose queue is bounded. The HTTP
 * server reads from it only as fast as the socket drains, so a client that stops reading makes the
 * queue grow; past `maxBufferedBytes` its connection is destroyed and the queue dropped: a slow
 * client is cut off, never buffered without bound.
 */
export class SseConnection {
  readonly body: ReadableStream<Uint8Array>;
  private controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  private ended = false;
  private waiting: (() => void)[] = [];

  constructor(private readonly options: SseConnectionOptions) {
    this.body = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.controller = controller;
        },
        pull: () => this.wake(),
        cancel: () => this.end(),
      },
      new ByteLengthQueuingStrategy({ highWaterMark: options.maxBufferedBytes }),
    );
  }

  get closed(): boolean {
    return this.ended;
  }

  /** Queues text; false when the connection is closed, or was cut off by this write. */
  write(text: string): boolean {
    const controller = this.controller;
    if (this.ended || !controller) return false;
    controller.enqueue(encoder.encode(text));
    if ((controller.desiredSize ?? 0) < 0) {
      this.end();
      if (this.options.destroy) this.options.destroy();
      else controller.error(new Error("the client does not read the stream fast enough"));
      return false;
    }
    return true;
  }

  /** Resolves when the queue is below its limit (the client read), or the connection ended. */
  drained(): Promise<void> {
    if (this.ended || (this.controller?.desiredSize ?? 0) > 0) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Ends the response after what is queued. */
  close(): void {
    if (this.ended) return;
    this.controller?.close();
    this.end();
  }

  private wake() {
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve();
  }

  private end() {
    if (this.ended) return;
    this.ended = true;
    this.wake();
    this.options.onClose();
  }
}
