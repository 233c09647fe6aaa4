import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DeliveryFolder, type StoredDelivery } from "./delivery-folder.ts";

const delivery: StoredDelivery = {
  id: "dlv_00000000-0000-4000-8000-000000000001",
  url: "https://hooks.example/x",
  event: "container_crashed",
  body: '{"id":"evt_1"}',
  created_at: "2026-11-30T01:00:00.000Z",
  attempts: 0,
  next_attempt_at: "2026-11-30T01:00:00.000Z",
  status: "pending",
  last_status_code: null,
  last_error: null,
};

describe("DeliveryFolder", () => {
  let dir: string;
  let folder: DeliveryFolder;

  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), "dockflow-deliveries-")), "webhooks");
    folder = new DeliveryFolder({ dir, log: pino({ level: "silent" }) });
    await folder.init();
  });

  afterEach(async () => {
    await rm(join(dir, ".."), { recursive: true, force: true });
  });

  it("keeps one private file per delivery, replaced in place, and lists the pending ones", async () => {
    const second = { ...delivery, id: delivery.id.replace(/1$/, "2") };
    await folder.write(delivery);
    await folder.write(second);
    await folder.write({ ...second, status: "failed", attempts: 3 });
    expect(await readdir(dir)).toEqual([`${delivery.id}.json`, `${second.id}.json`]);
    expect((await stat(join(dir, `${delivery.id}.json`))).mode & 0o777).toBe(0o600);
    expect(await folder.pending()).toEqual([delivery]);
    await folder.remove(delivery.id);
    expect(await readdir(dir)).toEqual([`${second.id}.json`]);
  });

  it("sets aside a file that is not a delivery, and goes on with the others", async () => {
    await writeFile(join(dir, "dlv_broken.json"), "{not json");
    await writeFile(join(dir, "notes.txt"), "kept as is");
    await folder.write(delivery);
    expect(await folder.pending()).toEqual([delivery]);
    expect((await readdir(dir)).sort()).toEqual([
      `${delivery.id}.json`,
      "dlv_broken.json.invalid",
      "notes.txt",
    ]);
  });
});
