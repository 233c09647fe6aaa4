import { mkdir, open, readdir, readFile, rename, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import { z } from "zod";

/** One delivery as its file holds it (never the secret: that stays in the configuration). */
export const StoredDelivery = z.object({
  id: z.string().regex(/^dlv_[0-9a-f-]{36}$/),
  url: z.string(),
  event: z.string(),
  /** The exact body sent on every attempt (the signature covers it). */
  body: z.string(),
  created_at: z.iso.datetime(),
  attempts: z.number().int().min(0),
  next_attempt_at: z.iso.datetime(),
  /** `failed`: given up after the retry window; the file stays for the operator. */
  status: z.enum(["pending", "failed"]),
  last_status_code: z.number().int().nullable(),
  last_error: z.string().nullable(),
});
export type StoredDelivery = z.infer<typeof StoredDelivery>;

export interface DeliveryFolderOptions {
  /** FLOW_WEBHOOK_DIR */
  dir: string;
  log: Logger;
}

/**
 * The flow manager's delivery queue on disk: one file per delivery, `<id>.json`, written to a
 * temporary file, fsync'd, renamed into place and the folder fsync'd, so a delivery is either
 * wholly there or not at all, even after a power cut. A delivered one's file is removed.
 */
export class DeliveryFolder {
  constructor(private readonly options: DeliveryFolderOptions) {}

  async init(): Promise<void> {
    await mkdir(this.options.dir, { recursive: true, mode: 0o700 });
  }

  /** Writes (or replaces) a delivery's file durably. */
  async write(delivery: StoredDelivery): Promise<void> {
    const temporary = join(this.options.dir, `.${delivery.id}.tmp`);
    const file = await open(temporary, "w", 0o600);
    try {
      await file.writeFile(JSON.stringify(delivery));
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, this.path(delivery.id));
    await this.syncFolder();
  }

  async remove(id: string): Promise<void> {
    await unlink(this.path(id));
    await this.syncFolder();
  }

  /**
   * The deliveries still to send. A file that cannot be read as a delivery (written by hand,
   * damaged) is renamed to `<name>.invalid` and logged, never sent and never fatal.
   */
  async pending(): Promise<StoredDelivery[]> {
    const names = (await readdir(this.options.dir)).filter((n) => n.endsWith(".json")).sort();
    const deliveries: StoredDelivery[] = [];
    for (const name of names) {
      const delivery = await this.read(name);
      if (delivery?.status === "pending") deliveries.push(delivery);
    }
    return deliveries;
  }

  private async read(name: string): Promise<StoredDelivery | undefined> {
    const path = join(this.options.dir, name);
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch {
      return undefined; // removed meanwhile
    }
    const parsed = StoredDelivery.safeParse(parseOrUndefined(text));
    if (parsed.success && `${parsed.data.id}.json` === name) return parsed.data;
    this.options.log.error({ file: name }, "webhook delivery file is not valid; set aside");
    await rename(path, `${path}.invalid`);
    return undefined;
  }

  private path(id: string): string {
    return join(this.options.dir, `${id}.json`);
  }

  private async syncFolder(): Promise<void> {
    const folder = await open(this.options.dir, "r");
    try {
      await folder.sync();
    } finally {
      await folder.close();
    }
  }
}

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
