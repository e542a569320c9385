/**
 * What the sync server does for each request, once it is valid and its user known: register a
 * device and check its tables (hello), apply an upload once and in order (upload), serve the
 * log after a position (pull, long polling), a consistent snapshot (snapshot), and a mark in
 * the stream (checkpoint). Nothing here is kept in memory that another gateway would need.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { createHash } from "node:crypto";
import { once } from "node:events";
import pg from "pg";
import type {
  Batch,
  Change,
  CheckpointAnswer,
  Hello,
  LocalWrite,
  Pull,
  PullAnswer,
  Rejection,
  Upload,
  UploadAnswer,
  WireRow,
  WireValue,
} from "../pgsync/wire.js";
import { type PgTable, type Pool, checkout, quote } from "./postgres.js";
import { CLIENTS, type LogChange } from "./replication.js";
import { fromPostgres, toPostgres } from "./values.js";

/** Who makes a request, as authorize returns it. */
export interface SyncUser {
  id: string;
}

/** A user's rows of a table: column → the value it must have. */
export type RowFilter = (user: SyncUser) => Record<string, string | number | boolean>;

/** A request the server refuses: its HTTP status, a code and what to do. */
export class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly differences?: string[],
  ) {
    super(message);
    this.name = "Refusal";
  }
}

export interface GatewayOptions {
  pool: Pool;
  config: pg.ClientConfig;
  tables: Map<string, PgTable>;
  filters: Record<string, RowFilter>;
  channel: string;
  authorize?: (request: IncomingMessage) => SyncUser | Promise<SyncUser>;
}

export type Gateway = ReturnType<typeof makeGateway>;

/** The most log rows one pull answers with (and about the most bytes). */
const PULL_ROWS = 500;
const PULL_BYTES = 4 * 1024 * 1024;
/** Rows a snapshot reads from Postgres at a time. */
const SNAPSHOT_FETCH = 2000;

const unknownClient = () =>
  new Refusal(
    409,
    "UNKNOWN_CLIENT",
    "this client has not said hello to the server; send hello first",
  );

/**
 * SQLSTATE classes that say nothing about the write, only about this moment (a deadlock, a
 * serialization failure, Postgres shutting down or out of resources, a lost connection): the
 * upload fails and the device sends it again. Every other error of Postgres refuses the write.
 */
const TRANSIENT = /^(08|40|53|55|57|58|XX)/;

/** A write's refusal as the device hears of it; anything else (Postgres away) is thrown. */
function rejection(e: unknown, seq: number, w: LocalWrite): Rejection {
  const pgError = e as { code?: string; message?: string };
  const sqlstate =
    typeof pgError.code === "string" &&
    /^[0-9A-Z]{5}$/.test(pgError.code) &&
    !TRANSIENT.test(pgError.code);
  if (!(e instanceof Refusal) && !sqlstate) throw e;
  return {
    seq,
    table: w.t,
    key: w.key,
    code: e instanceof Refusal ? e.code : pgError.code!,
    message: String(pgError.message),
  };
}

/** The name pg prepares a statement under, once per connection (the same text, the same name). */
const names = new Map<string, string>();
function named(text: string, values: unknown[]): pg.QueryConfig {
  let name = names.get(text);
  if (!name) {
    name = `wsq_${createHash("sha1").update(text).digest("hex").slice(0, 20)}`;
    if (names.size < 10_000) names.set(text, name);
  }
  return { name, text, values };
}

export function makeGateway(options: GatewayOptions) {
  const { pool, tables, filters } = options;
  const waiters = new Set<() => void>();
  let closed = false;
  const listener = listen(options.config, options.channel, () => {
    for (const wake of waiters) wake();
    waiters.clear();
  });

  /** The filter of table for user, as column → wire value (none: every row). */
  function filterOf(table: string, user: SyncUser): WireRow | null {
    const f = filters[table];
    if (!f) return null;
    const out: WireRow = {};
    for (const [column, value] of Object.entries(f(user))) {
      if (!tables.get(table)!.columns.some((c) => c.name === column)) {
        throw new Error(`sync server: the filter of "${table}" names no column "${column}"`);
      }
      out[column] = typeof value === "boolean" ? (value ? 1 : 0) : value;
    }
    return out;
  }

  const same = (a: WireValue | undefined, b: WireValue) =>
    a !== undefined && JSON.stringify(a) === JSON.stringify(b);

  /** Whether row has the filter's values (a column it lacks counts as a match: not changed). */
  function inside(row: WireRow, filter: WireRow | null, partial = false): boolean {
    if (!filter) return true;
    return Object.entries(filter).every(([c, v]) => (partial && !(c in row)) || same(row[c], v));
  }

  async function owner(client: string, user: SyncUser, db: pg.ClientBase | Pool = pool) {
    const found = await db.query("SELECT user_id FROM wsq_sync.clients WHERE client_id = $1", [
      client,
    ]);
    if (!found.rowCount) throw unknownClient();
    if (found.rows[0].user_id !== user.id) {
      throw new Refusal(403, "FORBIDDEN", "this client id belongs to another user");
    }
  }

  function checkWrite(w: LocalWrite): PgTable {
    const table = tables.get(w.t);
    if (!table) {
      throw new Refusal(
        400,
        "UNKNOWN_TABLE",
        `table "${w.t}" is not synced by this server (it syncs ${[...tables.keys()].join(", ")})`,
      );
    }
    const columns = new Set(table.columns.map((c) => c.name));
    const keys = Object.keys(w.key);
    if (keys.length !== table.key.length || !table.key.every((k) => k in w.key)) {
      throw new Refusal(400, "BAD_REQUEST", `a key of "${w.t}" must be (${table.key.join(", ")})`);
    }
    if (w.op !== "delete" && w.values === null) {
      throw new Refusal(400, "BAD_REQUEST", `an ${w.op} of "${w.t}" needs values`);
    }
    for (const c of Object.keys(w.values ?? {})) {
      if (!columns.has(c)) throw new Refusal(400, "BAD_REQUEST", `"${w.t}" has no column "${c}"`);
    }
    return table;
  }

  /** Applies one write in the upload's transaction; a refusal of the filter is thrown. */
  async function apply(db: pg.ClientBase, w: LocalWrite, user: SyncUser): Promise<void> {
    const table = tables.get(w.t)!;
    const type = (c: string) => table.columns.find((x) => x.name === c)!.type;
    const params: unknown[] = [];
    const param = (c: string, v: WireValue) => {
      params.push(toPostgres(type(c), v));
      return `$${params.length}::${type(c)}`;
    };
    const filter = filterOf(w.t, user);
    const where = (alias: string) =>
      [
        ...table.key.map((k) => `${alias}${quote(k)} = ${param(k, w.key[k])}`),
        ...Object.entries(filter ?? {}).map(([c, v]) => `${alias}${quote(c)} = ${param(c, v)}`),
      ].join(" AND ");
    const forbidden = () =>
      new Refusal(
        403,
        "FORBIDDEN",
        `the row is not among the rows of "${w.t}" this user may write`,
      );
    if (w.op === "insert") {
      const values = { ...w.values!, ...w.key };
      if (!inside(values, filter)) throw forbidden();
      const cols = Object.keys(values);
      const list = cols.map((c) => param(c, values[c])).join(", ");
      const rest = cols.filter((c) => !table.key.includes(c));
      const update = rest.length
        ? `DO UPDATE SET ${rest.map((c) => `${quote(c)} = EXCLUDED.${quote(c)}`).join(", ")}` +
          (filter ? ` WHERE ${where(`${quote(w.t)}.`)}` : "")
        : "DO NOTHING";
      const sql = `INSERT INTO ${quote(w.t)} (${cols.map(quote).join(", ")}) VALUES (${list})
                   ON CONFLICT (${table.key.map(quote).join(", ")}) ${update}`;
      const done = await db.query(named(sql, params));
      if (done.rowCount === 0 && rest.length && filter) throw forbidden();
      return;
    }
    if (w.op === "update") {
      if (!inside(w.values!, filter, true)) throw forbidden();
      const cols = Object.keys(w.values!).filter((c) => !table.key.includes(c));
      if (cols.length === 0) return;
      const set = cols.map((c) => `${quote(c)} = ${param(c, w.values![c])}`).join(", ");
      await db.query(named(`UPDATE ${quote(w.t)} SET ${set} WHERE ${where("")}`, params));
      return; // no row: deleted meanwhile (or not this user's): the delete stands
    }
    await db.query(named(`DELETE FROM ${quote(w.t)} WHERE ${where("")}`, params));
  }

  /** The batches of log rows as one device sees them. */
  function forDevice(rows: { changes: string }[], client: string, user: SyncUser): Batch[] {
    const batches: Batch[] = [];
    for (const { changes } of rows) {
      const batch: Batch = { changes: [] };
      for (const c of JSON.parse(changes) as LogChange[]) {
        if (c.t === CLIENTS) {
          const row = c.row;
          if (!row || row.client_id !== client) continue;
          const result = typeof row.result === "string" ? JSON.parse(row.result) : null;
          batch.ack = { seq: Number(row.last_seq), rejected: result?.rejected ?? [] };
          batch.checkpoint = Number(row.checkpoint);
          continue;
        }
        batch.changes.push(...visible(c, user));
      }
      if (batch.changes.length || batch.ack) batches.push(batch);
    }
    return batches;
  }

  /** A change of the log as a user's device applies it (none: not among its rows). */
  function visible(c: LogChange, user: SyncUser): Change[] {
    const table = tables.get(c.t);
    if (!table) return [];
    const filter = filterOf(c.t, user);
    const key = (row: WireRow) => Object.fromEntries(table.key.map((k) => [k, row[k]]));
    if (c.op === "truncate") return [{ t: c.t, op: "truncate" }];
    if (c.op === "delete") {
      if (c.old && !inside(c.old, filter, true)) return [];
      return [{ t: c.t, op: "delete", key: key(c.old!) }];
    }
    const row = c.row!;
    const old = c.old && inside(c.old, filter, true) ? key(c.old) : null;
    const out: Change[] = [];
    // An UPDATE that changed the key, or moved the row out of the user's rows: the old one goes.
    if (old && (!inside(row, filter, true) || JSON.stringify(old) !== JSON.stringify(key(row)))) {
      out.push({ t: c.t, op: "delete", key: old });
    }
    if (inside(row, filter, true)) out.push({ t: c.t, op: "upsert", row });
    return out;
  }

  return {
    async authorize(request: IncomingMessage): Promise<SyncUser> {
      if (!options.authorize) return { id: "" };
      const user = await options.authorize(request);
      if (typeof user?.id !== "string") {
        throw new Error("sync server: authorize must return a user with a string id");
      }
      return user;
    },

    async hello(user: SyncUser, args: Hello) {
      const differences: string[] = [];
      for (const [name, shape] of Object.entries(args.tables)) {
        const table = tables.get(name);
        if (!table) {
          differences.push(`"${name}" is not synced by this server`);
          continue;
        }
        const theirs = new Set(table.columns.map((c) => c.name));
        const ours = new Set(shape.columns);
        for (const c of theirs)
          if (!ours.has(c)) differences.push(`"${name}"."${c}" is missing on the device`);
        for (const c of ours)
          if (!theirs.has(c)) differences.push(`"${name}"."${c}" is missing in Postgres`);
        if (shape.key.join(",") !== table.key.join(",")) {
          differences.push(
            `"${name}" has the primary key (${shape.key.join(", ")}) on the device and ` +
              `(${table.key.join(", ")}) in Postgres`,
          );
        }
      }
      if (differences.length) {
        throw new Refusal(
          409,
          "SCHEMA_MISMATCH",
          `the synced tables differ between the device and Postgres: ${differences.join("; ")}`,
          differences,
        );
      }
      await pool.query(
        "INSERT INTO wsq_sync.clients (client_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        [args.client, user.id],
      );
      await owner(args.client, user);
      const found = await pool.query("SELECT last_seq FROM wsq_sync.clients WHERE client_id = $1", [
        args.client,
      ]);
      return { seq: Number(found.rows[0].last_seq) };
    },

    async upload(user: SyncUser, args: Upload): Promise<UploadAnswer> {
      for (const t of args.transactions) for (const w of t.writes) checkWrite(w);
      const seq = args.transactions[args.transactions.length - 1].seq;
      const db = await checkout(pool);
      try {
        // Each local transaction all or nothing, all of them in one commit: first straight
        // through; if Postgres (or the filter) refuses one, again with a savepoint for each.
        for (const careful of [false, true]) {
          await db.query("BEGIN");
          const found = await db.query(
            "SELECT user_id, last_seq, result FROM wsq_sync.clients WHERE client_id = $1 FOR UPDATE",
            [args.client],
          );
          if (!found.rowCount) throw unknownClient();
          const { user_id, last_seq, result } = found.rows[0];
          if (user_id !== user.id) {
            throw new Refusal(403, "FORBIDDEN", "this client id belongs to another user");
          }
          const last = Number(last_seq);
          if (seq === last && last > 0) {
            await db.query("COMMIT");
            const stored = result ? JSON.parse(result) : {};
            return { seq: last, replay: true, rejected: stored.rejected ?? [] };
          }
          if (seq < last) {
            throw new Refusal(
              409,
              "STALE_UPLOAD",
              `upload ${seq} is older than the last one applied (${last}); nothing was applied`,
            );
          }
          if (args.prev !== last) {
            throw new Refusal(
              409,
              "OUT_OF_ORDER",
              `the upload follows ${args.prev}, but the last one applied is ${last}; nothing was applied`,
            );
          }
          const rejected: Rejection[] = [];
          let refused = false;
          for (const t of args.transactions) {
            if (careful) await db.query("SAVEPOINT local");
            for (const w of t.writes) {
              try {
                await apply(db, w, user);
              } catch (e) {
                rejected.push(rejection(e, t.seq, w));
                refused = true;
                if (careful) await db.query("ROLLBACK TO SAVEPOINT local");
                break;
              }
            }
            if (!careful && refused) break;
            if (careful) await db.query("RELEASE SAVEPOINT local");
          }
          if (!careful && refused) {
            await db.query("ROLLBACK");
            continue;
          }
          await db.query(
            "UPDATE wsq_sync.clients SET last_seq = $2, result = $3 WHERE client_id = $1",
            [args.client, seq, JSON.stringify({ rejected })],
          );
          await db.query("COMMIT");
          return { seq, replay: false, rejected };
        }
        throw new Error("unreachable");
      } catch (e) {
        await db.query("ROLLBACK").catch(() => undefined);
        throw e;
      } finally {
        db.done();
      }
    },

    async pull(user: SyncUser, args: Pull): Promise<PullAnswer> {
      await owner(args.client, user);
      const pruned = await pool.query("SELECT value FROM wsq_sync.state WHERE key = 'pruned'");
      if (BigInt(args.pos) < BigInt(pruned.rows[0].value)) {
        throw new Refusal(
          410,
          "SNAPSHOT_NEEDED",
          `the log no longer holds the changes after ${args.pos} (kept for retentionMs): take a new snapshot`,
        );
      }
      const read = async () => {
        const params: unknown[] = [args.pos, PULL_ROWS];
        let sql = "SELECT pos::text, changes::text FROM wsq_sync.log WHERE pos > $1";
        if (args.snapshot) {
          params.push(args.snapshot);
          sql += " AND NOT pg_visible_in_snapshot(xid, $3::pg_snapshot)";
        }
        const found = await pool.query(`${sql} ORDER BY pos LIMIT $2`, params);
        const rows: { pos: string; changes: string }[] = [];
        let bytes = 0;
        for (const row of found.rows) {
          if (rows.length && bytes + row.changes.length > PULL_BYTES) break;
          bytes += row.changes.length;
          rows.push(row);
        }
        return rows;
      };
      const notified = new Promise<void>((resolve) => waiters.add(resolve));
      let rows = await read();
      if (rows.length === 0 && args.wait > 0 && !closed) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([notified, new Promise((r) => (timer = setTimeout(r, args.wait)))]);
        clearTimeout(timer);
        rows = await read();
      }
      const pos = rows.length ? rows[rows.length - 1].pos : args.pos;
      return { pos, batches: forDevice(rows, args.client, user) };
    },

    async snapshot(user: SyncUser, args: { client: string }, response: ServerResponse) {
      await owner(args.client, user);
      const db = await checkout(pool);
      try {
        await db.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
        // In the snapshot too: which of the device's uploads its rows hold.
        const head = await db.query(
          `SELECT pg_current_snapshot()::text AS snapshot,
                  (SELECT coalesce(max(pos), 0) FROM wsq_sync.log)::text AS pos,
                  last_seq, result
             FROM wsq_sync.clients WHERE client_id = $1`,
          [args.client],
        );
        response.writeHead(200, {
          "content-type": "application/x-ndjson",
          "cache-control": "no-store",
        });
        const { snapshot, pos, last_seq, result } = head.rows[0];
        const ack = { seq: Number(last_seq), rejected: result ? JSON.parse(result).rejected : [] };
        response.write(`${JSON.stringify({ snapshot, pos, ack })}\n`);
        for (const table of tables.values()) {
          const params: unknown[] = [];
          const filter = filterOf(table.name, user);
          const conditions = Object.entries(filter ?? {}).map(([c, v]) => {
            params.push(toPostgres(table.columns.find((x) => x.name === c)!.type, v));
            return `${quote(c)} = $${params.length}::${table.columns.find((x) => x.name === c)!.type}`;
          });
          const cols = table.columns.map((c) => quote(c.name)).join(", ");
          await db.query(
            `DECLARE rows NO SCROLL CURSOR FOR SELECT ${cols} FROM ${quote(table.name)}` +
              (conditions.length ? ` WHERE ${conditions.join(" AND ")}` : ""),
            params,
          );
          for (;;) {
            const chunk = await db.query({
              text: `FETCH ${SNAPSHOT_FETCH} FROM rows`,
              rowMode: "array",
            });
            if (chunk.rows.length === 0) break;
            let text = "";
            for (const values of chunk.rows as (string | null)[][]) {
              const row: WireRow = {};
              table.columns.forEach((c, i) => (row[c.name] = fromPostgres(c.oid, values[i])));
              text += `${JSON.stringify({ t: table.name, row })}\n`;
            }
            if (!response.write(text)) await once(response, "drain");
          }
          await db.query("CLOSE rows");
        }
        await db.query("COMMIT");
        response.end(`${JSON.stringify({ end: true })}\n`);
      } catch (e) {
        await db.query("ROLLBACK").catch(() => undefined);
        if (e instanceof Refusal) throw e;
        response.destroy(); // the device sees no end line, and asks again
      } finally {
        db.done();
      }
    },

    async checkpoint(user: SyncUser, args: { client: string }): Promise<CheckpointAnswer> {
      const found = await pool.query(
        `UPDATE wsq_sync.clients SET checkpoint = checkpoint + 1
          WHERE client_id = $1 AND user_id = $2 RETURNING checkpoint`,
        [args.client, user.id],
      );
      if (!found.rowCount) {
        await owner(args.client, user); // says which: unknown, or another user's
        throw unknownClient();
      }
      return { checkpoint: Number(found.rows[0].checkpoint) };
    },

    async close() {
      closed = true;
      for (const wake of waiters) wake();
      waiters.clear();
      await listener.close();
    },
  };
}

/**
 * LISTEN on channel with a connection of its own, made again when it is lost; calls notify for
 * each notification (and after each reconnection, when one may have been missed).
 */
function listen(config: pg.ClientConfig, channel: string, notify: () => void) {
  let client: pg.Client | null = null;
  let closed = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const connect = async () => {
    if (closed) return;
    const c = new pg.Client(config);
    client = c;
    c.on("notification", notify);
    c.on("error", () => undefined);
    c.on("end", () => {
      if (!closed) timer = setTimeout(connect, 500);
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${quote(channel)}`);
      notify();
    } catch {
      await c.end().catch(() => undefined);
    }
  };
  void connect();
  return {
    async close() {
      closed = true;
      clearTimeout(timer);
      await client?.end().catch(() => undefined);
    },
  };
}
