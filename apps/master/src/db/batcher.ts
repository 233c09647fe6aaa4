export interface BatcherOptions {
  /** Most items handed to one `run`. */
  maxBatch: number;
  /** Most `run`s at once; items arriving while all are busy wait and go together. */
  maxInFlight: number;
}

interface Waiting<I, O> {
  item: I;
  resolve: (output: O) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: items submitted while every slot is busy are written together by one `run` (one
 * statement), instead of one round trip each. An item that finds a free slot goes at once, so an
 * idle system adds no latency; under load the batches grow by themselves. `run` answers one
 * output per item, in order; if it fails, every item of that batch fails with its error.
 */
export class Batcher<I, O> {
  private readonly queue: Waiting<I, O>[] = [];
  private inFlight = 0;

  constructor(
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly options: BatcherOptions,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.options.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.options.maxBatch);
      this.inFlight++;
      this.execute(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async execute(batch: Waiting<I, O>[]): Promise<void> {
    try {
      const outputs = await this.run(batch.map((w) => w.item));
      if (outputs.length !== batch.length) {
        throw new Error(`batch of ${batch.length} answered ${outputs.length} results`);
      }
      batch.forEach((w, i) => {
        w.resolve(outputs[i] as O);
      });
    } catch (error) {
      for (const w of batch) w.reject(error);
    }
  }
}
