/**
 * What the sync server keeps in Postgres (schema wsq_sync), made idempotently at start by any
 * gateway under an advisory lock, and what it reads of the synced tables:
 *
 *   wsq_sync.clients   one row per device: its user, the last upload applied (seq), that
 *                      upload's answer, and its checkpoint counter. In the publication: a
 *                      device learns from the stream itself that its upload is in Postgres.
 *   wsq_sync.log       Postgres's committed transactions on the synced tables, as read from the
 *                      replication slot, one row each, in commit order (pos), with their xid
 *   wsq_sync.state     the commit LSN the log is written up to, and the last position pruned
 *   wsq_sync.heartbeat touched by the log writer every minute (published, never logged)
 *
 * plus a publication of the synced tables and wsq_sync.clients, and a logical replication slot
 * (pgoutput) of the same name (docs/ARCHITECTURE.md "Sync with PostgreSQL").
 */
import pg from "pg";
import { SESSION_OPTIONS } from "./values.js";

export type Pool = pg.Pool;
export type Client = pg.Client;

/** A synced table as Postgres has it. */
export interface PgTable {
  name: string;
  /** The columns in order, with format_type()'s name of their type and their oid. */
  columns: { name: string; type: string; oid: number }[];
  key: string[];
  /** Whether UPDATE and DELETE carry the whole old row in the stream (REPLICA IDENTITY FULL). */
  fullIdentity: boolean;
}

/** Identifier quoting (names are checked to be plain identifiers before they get here). */
export const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Connection settings for pg: every value as text, dates in ISO and UTC. */
export function connectionConfig(postgres: string | pg.ClientConfig): pg.ClientConfig {
  const base = typeof postgres === "string" ? { connectionString: postgres } : postgres;
  return {
    ...base,
    options: SESSION_OPTIONS,
    types: { getTypeParser: () => (text: string) => text } as unknown as pg.CustomTypesConfig,
  };
}

const LOCK = "hashtext('wsq_sync.setup')";

/**
 * A connection of the pool for a while: a connection lost meanwhile (Postgres restarting) fails
 * the query in flight, and its 'error' event is heard here rather than ending the process.
 */
export async function checkout(pool: Pool): Promise<pg.PoolClient & { done(): void }> {
  const client = await pool.connect();
  let lost: Error | undefined;
  const onError = (e: Error) => (lost = e);
  client.on("error", onError);
  return Object.assign(client, {
    done() {
      client.off("error", onError);
      client.release(lost); // a lost connection leaves the pool
    },
  });
}

/**
 * Makes the server's tables, the publication and the slot, and reads the synced tables; throws
 * an Error that names what is wrong (a table missing, without a primary key).
 */
export async function prepare(
  pool: Pool,
  names: string[],
  slot: string,
  fullIdentity: Set<string>,
): Promise<Map<string, PgTable>> {
  const client = await checkout(pool);
  const tables = new Map<string, PgTable>();
  try {
    await client.query("BEGIN");
    await client.query(`SELECT pg_advisory_xact_lock(${LOCK})`);
    await client.query(`
      CREATE SCHEMA IF NOT EXISTS wsq_sync;
      CREATE TABLE IF NOT EXISTS wsq_sync.clients (
        client_id text PRIMARY KEY,
        user_id text NOT NULL,
        last_seq bigint NOT NULL DEFAULT 0,
        result jsonb,
        checkpoint bigint NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      ALTER TABLE wsq_sync.clients REPLICA IDENTITY FULL;
      CREATE TABLE IF NOT EXISTS wsq_sync.log (
        pos bigserial PRIMARY KEY,
        xid xid8 NOT NULL,
        lsn pg_lsn NOT NULL,
        changes jsonb NOT NULL,
        at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE IF NOT EXISTS wsq_sync.state (key text PRIMARY KEY, value text NOT NULL);
      CREATE TABLE IF NOT EXISTS wsq_sync.heartbeat (id int PRIMARY KEY, at timestamptz NOT NULL);
      INSERT INTO wsq_sync.heartbeat VALUES (1, now()) ON CONFLICT DO NOTHING;
      INSERT INTO wsq_sync.state VALUES ('lsn', '0/0'), ('pruned', '0') ON CONFLICT DO NOTHING;
    `);
    for (const name of names) tables.set(name, await describe(client, name));
    for (const name of fullIdentity) {
      if (!tables.get(name)!.fullIdentity) {
        await client.query(`ALTER TABLE ${quote(name)} REPLICA IDENTITY FULL`);
        tables.get(name)!.fullIdentity = true;
      }
    }
    const list = [...names.map(quote), "wsq_sync.clients", "wsq_sync.heartbeat"].join(", ");
    const exists = await client.query("SELECT 1 FROM pg_publication WHERE pubname = $1", [slot]);
    await client.query(
      exists.rowCount
        ? `ALTER PUBLICATION ${quote(slot)} SET TABLE ${list}`
        : `CREATE PUBLICATION ${quote(slot)} FOR TABLE ${list}`,
    );
    await client.query("COMMIT");
  } catch (e) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw e;
  } finally {
    client.done();
  }
  // A slot cannot be made in a transaction that has written.
  const found = await pool.query("SELECT 1 FROM pg_replication_slots WHERE slot_name = $1", [slot]);
  if (!found.rowCount) {
    await pool
      .query("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", [slot])
      .catch((e: { code?: string }) => {
        if (e.code !== "42710") throw e; // another gateway made it meanwhile
      });
  }
  return tables;
}

/** A table of the search path (public), as the catalog has it. */
async function describe(db: pg.PoolClient, name: string): Promise<PgTable> {
  const rel = await db.query(
    `SELECT c.oid, c.relreplident FROM pg_class c
       WHERE c.oid = to_regclass($1) AND c.relkind IN ('r', 'p')`,
    [quote(name)],
  );
  if (!rel.rowCount) {
    throw new Error(`sync server: table "${name}" does not exist in Postgres; create it first`);
  }
  const oid = rel.rows[0].oid as string;
  const columns = await db.query(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.atttypid AS oid
       FROM pg_attribute a
      WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attnum`,
    [oid],
  );
  const key = await db.query(
    `SELECT a.attname AS name
       FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
      WHERE i.indrelid = $1 AND i.indisprimary
      ORDER BY array_position(i.indkey::int2[], a.attnum)`,
    [oid],
  );
  if (!key.rowCount) {
    throw new Error(
      `sync server: table "${name}" has no primary key; every synced table needs one ` +
        "(text UUIDs made on the devices, so that two devices never make the same key)",
    );
  }
  return {
    name,
    columns: columns.rows.map((r) => ({ name: r.name, type: r.type, oid: Number(r.oid) })),
    key: key.rows.map((r) => r.name as string),
    fullIdentity: rel.rows[0].relreplident === "f",
  };
}
