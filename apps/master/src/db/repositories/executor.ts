import type { Kysely, Transaction } from "kysely";
import type { Database } from "../schema.ts";

/** The database or a transaction on it: every repository function runs on either. */
export type Executor = Kysely<Database> | Transaction<Database>;
