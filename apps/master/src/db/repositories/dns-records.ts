import type { DnsRecordRow } from "../schema.ts";
import type { Executor } from "./executor.ts";

export function listDnsRecords(db: Executor): Promise<DnsRecordRow[]> {
  return db.selectFrom("dns_records").selectAll().orderBy("hostname").execute();
}

export async function upsertDnsRecord(db: Executor, record: DnsRecordRow): Promise<void> {
  await db
    .insertInto("dns_records")
    .values(record)
    .onConflict((oc) =>
      oc.column("hostname").doUpdateSet({
        tunnel_id: record.tunnel_id,
        zone_id: record.zone_id,
        zone_name: record.zone_name,
        record_id: record.record_id,
        updated_at: record.updated_at,
      }),
    )
    .execute();
}

export async function deleteDnsRecord(db: Executor, hostname: string): Promise<void> {
  await db.deleteFrom("dns_records").where("hostname", "=", hostname).execute();
}
