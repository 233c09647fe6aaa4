import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from "kysely";
import type { Database } from "./schema.ts";

/** LISTEN/NOTIFY channel on which a change to agent keys is announced (migration 0002). */
export const KEYS_CHANNEL = "dockflow_agent_keys";

/** LISTEN/NOTIFY channel on which every recorded change is announced with its id (migration 0004). */
export const CHANGES_CHANNEL = "dockflow_changes";

/** Advisory lock key that orders change ids by commit (migration 0004). */
const CHANGES_LOCK = 0x646f636b;

/** Migrations live in code so the bundle carries them; the same ones run on PostgreSQL and PGlite. */
const migrations: Record<string, Migration> = {
  "0001_initial": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("agent_keys")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("key_hash", "text", (c) => c.notNull().unique())
        .addColumn("agent_id", "text")
        .addColumn("created_at", "timestamptz", (c) => c.notNull())
        .addColumn("revoked_at", "timestamptz")
        .addColumn("last_used_at", "timestamptz")
        .execute();
      await db.schema
        .createTable("agents")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("display_name", "text", (c) => c.notNull())
        .addColumn("version", "text", (c) => c.notNull())
        .addColumn("mode", "text", (c) => c.notNull())
        .addColumn("node_id", "text")
        .addColumn("node_role", "text")
        .addColumn("hostname", "text")
        .addColumn("key_id", "text")
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("last_heartbeat", "timestamptz", (c) => c.notNull())
        .addColumn("registered_at", "timestamptz", (c) => c.notNull())
        .addColumn("updated_at", "timestamptz", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("agents_status_heartbeat")
        .on("agents")
        .columns(["status", "last_heartbeat"])
        .execute();
      await db.schema
        .createTable("tunnels")
        .addColumn("agent_id", "text", (c) => c.primaryKey())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("tunnel_id", "text")
        .addColumn("rules_sent", "jsonb")
        .addColumn("applied_keys", "jsonb", (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
        .addColumn("applied_hash", "text")
        .addColumn("connector_status", "text")
        .addColumn("connector_version", "text")
        .addColumn("last_error", "text")
        .addColumn("created_at", "timestamptz", (c) => c.notNull())
        .addColumn("updated_at", "timestamptz", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("rules")
        .addColumn("rule_key", "text", (c) => c.primaryKey())
        .addColumn("hostname", "text", (c) => c.notNull())
        .addColumn("path", "text", (c) => c.notNull())
        .addColumn("service", "text", (c) => c.notNull())
        .addColumn("zone_name", "text")
        .addColumn("origin_request", "jsonb")
        .addColumn("agent_id", "text", (c) => c.notNull())
        .addColumn("source", "text", (c) => c.notNull())
        .addColumn("container_name", "text", (c) => c.notNull())
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("grace_until", "timestamptz")
        .addColumn("replicas", "integer")
        .addColumn("created_at", "timestamptz", (c) => c.notNull())
        .addColumn("updated_at", "timestamptz", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("rules_agent").on("rules").columns(["agent_id"]).execute();
      await db.schema.createIndex("rules_source").on("rules").columns(["source"]).execute();
      await db.schema
        .createTable("dns_records")
        .addColumn("hostname", "text", (c) => c.primaryKey())
        .addColumn("tunnel_id", "text", (c) => c.notNull())
        .addColumn("zone_id", "text", (c) => c.notNull())
        .addColumn("zone_name", "text")
        .addColumn("record_id", "text", (c) => c.notNull())
        .addColumn("updated_at", "timestamptz", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("commands")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("seq", "bigserial", (c) => c.notNull())
        .addColumn("agent_id", "text", (c) => c.notNull())
        .addColumn("action", "text", (c) => c.notNull())
        .addColumn("payload", "jsonb", (c) => c.notNull())
        .addColumn("created_at", "timestamptz", (c) => c.notNull())
        .addColumn("visible_at", "timestamptz", (c) => c.notNull())
        .addColumn("delivery_count", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("last_delivered_at", "timestamptz")
        .addColumn("acked_at", "timestamptz")
        .addColumn("success", "boolean")
        .addColumn("result", "jsonb")
        .addColumn("error", "text")
        .execute();
      // The poll query: an agent's unacknowledged commands in order.
      await sql`create index commands_pending on commands (agent_id, seq) where acked_at is null`.execute(
        db,
      );
      await db.schema
        .createTable("event_log")
        .addColumn("id", "bigserial", (c) => c.primaryKey())
        .addColumn("agent_id", "text")
        .addColumn("event_id", "text")
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("payload", "jsonb", (c) => c.notNull())
        .addColumn("created_at", "timestamptz", (c) => c.notNull())
        .execute();
      await sql`create unique index event_log_event_id on event_log (agent_id, event_id) where event_id is not null`.execute(
        db,
      );
      await db.schema
        .createIndex("event_log_agent")
        .on("event_log")
        .columns(["agent_id", "id"])
        .execute();
    },
  },
  "0002_agent_keys_notify": {
    // Every master caches key lookups (auth/key-cache.ts). A change to who a key belongs to or
    // whether it is revoked, made by any process (another master, the CLI), is announced on
    // KEYS_CHANNEL when its transaction commits, so each cache drops its entries at once.
    async up(db: Kysely<unknown>) {
      await sql`create function dockflow_agent_keys_changed() returns trigger language plpgsql as $$
        begin
          perform pg_notify(${sql.lit(KEYS_CHANNEL)}, '');
          return null;
        end $$`.execute(db);
      await sql`create trigger agent_keys_changed
        after update of agent_id, revoked_at or delete on agent_keys
        for each statement execute function dockflow_agent_keys_changed()`.execute(db);
    },
  },
  "0003_placements": {
    // How many running tasks of each source (a Swarm service) each agent's node reported in its
    // last status report: a rule's replicas are the sum over online agents, not only its owner's.
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("placements")
        .addColumn("agent_id", "text", (c) =>
          c.notNull().references("agents.id").onDelete("cascade"),
        )
        .addColumn("source", "text", (c) => c.notNull())
        .addColumn("count", "integer", (c) => c.notNull())
        .addColumn("updated_at", "timestamptz", (c) => c.notNull())
        .addPrimaryKeyConstraint("placements_pk", ["agent_id", "source"])
        .execute();
      await db.schema.createIndex("placements_source").on("placements").column("source").execute();
    },
  },
  "0004_console": {
    // The operator console: sessions (cookie sign-in), the change stream, and the indexes of the
    // paginated lists.
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("sessions")
        .addColumn("id_hash", "text", (c) => c.primaryKey())
        .addColumn("csrf_token", "text", (c) => c.notNull())
        .addColumn("created_at", "timestamptz", (c) => c.notNull())
        .addColumn("expires_at", "timestamptz", (c) => c.notNull())
        .addColumn("revoked_at", "timestamptz")
        .execute();
      await db.schema.createIndex("sessions_expiry").on("sessions").column("expires_at").execute();
      // Change ids must follow commit order, or a reader that saw id 6 could miss a 5 committed
      // later. The trigger takes a transaction-wide advisory lock before it draws the id, so the
      // ids of two transactions never interleave; callers insert changes as the last statement of
      // their transaction, so the lock is held only until the commit right after.
      await sql`create sequence changes_id_seq`.execute(db);
      await db.schema
        .createTable("changes")
        .addColumn("id", "bigint", (c) => c.primaryKey())
        .addColumn("created_at", "timestamptz", (c) => c.notNull())
        .addColumn("body", "jsonb", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("changes_created").on("changes").column("created_at").execute();
      await sql`create function dockflow_change_recorded() returns trigger language plpgsql as $$
        begin
          perform pg_advisory_xact_lock(${sql.lit(CHANGES_LOCK)});
          new.id := nextval('changes_id_seq');
          perform pg_notify(${sql.lit(CHANGES_CHANNEL)}, new.id::text);
          return new;
        end $$`.execute(db);
      await sql`create trigger change_recorded before insert on changes
        for each row execute function dockflow_change_recorded()`.execute(db);
      // Changes up to this id were pruned: a client resuming from an older id must start over.
      await db.schema
        .createTable("changes_pruned")
        .addColumn("singleton", "boolean", (c) => c.primaryKey().defaultTo(true))
        .addColumn("through", "bigint", (c) => c.notNull())
        .execute();
      await sql`insert into changes_pruned (singleton, through) values (true, 0)`.execute(db);
      await db.schema
        .createIndex("rules_hostname_path")
        .on("rules")
        .columns(["hostname", "path"])
        .execute();
      await db.schema
        .createIndex("event_log_type")
        .on("event_log")
        .columns(["type", "id"])
        .execute();
      await db.schema
        .createIndex("agent_keys_created")
        .on("agent_keys")
        .columns(["created_at", "id"])
        .execute();
    },
  },
  "0005_webhooks": {
    // Notifications: the operators' webhooks, the deliveries queued for them (written before the
    // first attempt, so a crash loses none), and how far the change stream was turned into them.
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("webhooks")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("url", "text", (c) => c.notNull())
        .addColumn("events", "jsonb", (c) => c.notNull())
        .addColumn("secret", "text", (c) => c.notNull())
        .addColumn("description", "text", (c) => c.notNull())
        .addColumn("created_at", "timestamptz", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("webhook_deliveries")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("webhook_id", "text", (c) =>
          c.notNull().references("webhooks.id").onDelete("cascade"),
        )
        .addColumn("event_id", "text", (c) => c.notNull())
        .addColumn("event", "text", (c) => c.notNull())
        // The exact body that is signed and sent, identical on every attempt.
        .addColumn("body", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("next_attempt_at", "timestamptz", (c) => c.notNull())
        // A master attempting it holds it until then; past it, another master may take it over.
        .addColumn("lease_until", "timestamptz")
        .addColumn("last_status_code", "integer")
        .addColumn("last_error", "text")
        .addColumn("created_at", "timestamptz", (c) => c.notNull())
        .addColumn("delivered_at", "timestamptz")
        .addUniqueConstraint("webhook_deliveries_event", ["webhook_id", "event_id"])
        .execute();
      await sql`create index webhook_deliveries_due on webhook_deliveries (next_attempt_at)
        where status = 'pending'`.execute(db);
      await db.schema
        .createIndex("webhook_deliveries_list")
        .on("webhook_deliveries")
        .columns(["webhook_id", "created_at"])
        .execute();
      // Changes up to this id were turned into deliveries; starts at the newest change, so the
      // history recorded before notifications existed is not sent.
      await db.schema
        .createTable("webhook_cursor")
        .addColumn("singleton", "boolean", (c) => c.primaryKey().defaultTo(true))
        .addColumn("through", "bigint", (c) => c.notNull())
        .execute();
      await sql`insert into webhook_cursor (singleton, through)
        select true, coalesce(max(id), 0) from changes`.execute(db);
    },
  },
  "0006_access": {
    // Access from labels: a rule's access spec, and the application + policy made for it.
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable("rules").addColumn("access", "jsonb").execute();
      await db.schema
        .createTable("access_apps")
        .addColumn("rule_key", "text", (c) => c.primaryKey())
        .addColumn("app_id", "text", (c) => c.notNull())
        .addColumn("aud", "text", (c) => c.notNull())
        .addColumn("policy_id", "text", (c) => c.notNull())
        .addColumn("digest", "text", (c) => c.notNull())
        .addColumn("updated_at", "timestamptz", (c) => c.notNull())
        .execute();
    },
  },
};

class InCodeProvider implements MigrationProvider {
  async getMigrations() {
    return migrations;
  }
}

/** Brings the schema up to date; safe to run from several masters at once (kysely takes a lock). */
export async function migrate(db: Kysely<Database>): Promise<void> {
  const migrator = new Migrator({ db, provider: new InCodeProvider() });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === "Error");
  if (error || failed) {
    throw new Error(`database migration ${failed?.migrationName ?? ""} failed`, { cause: error });
  }
}
