/**
 * The device's side of sync with PostgreSQL, in SQLite (synchronous, in the worker that holds
 * the database):
 *
 *   _wsq_sync_outbox  every local write to a synced table, written by the table's triggers in
 *                     the app's own transaction (so a crash keeps both or neither): its
 *                     transaction (wsq_sync_txn(), the core's capture id), the row's key (before
 *                     the write), and the row before (old) and after (new) as wire rows in JSON;
 *                     old null: there was none (an insert), new null: there is none (a delete)
 *   _wsq_sync_state   the device's client id, its position in the server's log, the snapshot
 *                     it started from, and the last upload the server answered
 *
 * A write stays in the outbox, visible in its table, until the server's stream says Postgres
 * has it (or refused it). Server changes are applied under the pending writes: undo them (each
 * row back to its old), apply, redo them (old taken again from what is there now), all in one
 * local transaction with capture off, so the app never sees a half state.
 */
import type { SyncDatabase } from "../bindings/sync-database.js";
import type { SqlValue } from "../codec/params.js";
import type {
  Batch,
  LocalTransaction,
  Change,
  LocalWrite,
  Rejection,
  TableShape,
  WireRow,
  WireValue,
} from "./wire.js";

export const OUTBOX = "_wsq_sync_outbox";
/** About the most outbox rows one upload carries. */
const UPLOAD_ROWS = 5000;
const STATE = "_wsq_sync_state";

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

/** A column's value as a wire value, in SQL (the same in the triggers and in reads). */
function wireOf(expr: string): string {
  return (
    `CASE typeof(${expr}) WHEN 'blob' THEN json_object('$x', hex(${expr})) ` +
    `WHEN 'integer' THEN iif(${expr} BETWEEN -9007199254740991 AND 9007199254740991, ${expr}, ` +
    `json_object('$i', CAST(${expr} AS TEXT))) ELSE ${expr} END`
  );
}

/**
 * Columns of a row as a JSON object of wire values, in SQL; prefix is "NEW.", "OLD." or "".
 * Every column, or only the key's.
 */
function rowJson(shape: TableShape, prefix: string, columns = shape.columns): string {
  return `json_object(${columns.map((c) => `${literal(c)}, ${wireOf(prefix + quote(c))}`).join(", ")})`;
}

/** A wire value as a value SQLite binds. */
export function sqlValue(v: WireValue): SqlValue {
  if (v === null || typeof v !== "object") return v;
  if ("$i" in v) return BigInt(v.$i);
  const bytes = new Uint8Array(v.$x.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(v.$x.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

const same = (a: WireValue | WireRow | undefined, b: WireValue | WireRow | undefined) =>
  JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

export interface OutboxRow {
  id: number;
  txn: number;
  tbl: string;
  op: "I" | "U" | "D";
  /** The row's key before the write (an insert: its key). */
  key: WireRow;
  old: WireRow | null;
  new: WireRow | null;
}

/** What applying a pull changed: rejections to report, and checkpoints seen. */
export interface Applied {
  rejected: Rejection[];
  checkpoint: number | null;
}

export class LocalSide {
  readonly shapes = new Map<string, TableShape>();

  constructor(
    readonly db: SyncDatabase,
    tables: string[],
  ) {
    for (const t of tables) this.shapes.set(t, this.describe(t));
  }

  /** A table as SQLite has it: its columns and primary key, in order. */
  private describe(table: string): TableShape {
    const info = this.db.selectObjects<{ name: string; pk: number }>(
      "SELECT name, pk FROM pragma_table_info(?)",
      [table],
    );
    if (info.length === 0) {
      throw new Error(
        `table "${table}" does not exist in this database; create it before db.sync()`,
      );
    }
    const key = info
      .filter((c) => c.pk > 0)
      .sort((a, b) => a.pk - b.pk)
      .map((c) => c.name);
    if (key.length === 0) {
      throw new Error(
        `table "${table}" has no primary key; a synced table needs one (a text UUID)`,
      );
    }
    return { columns: info.map((c) => c.name), key };
  }

  /**
   * Makes the outbox, the state and each synced table's triggers (again, for a table whose
   * columns changed). At the first sync of a database, the rows its tables already hold go to
   * the outbox as inserts: they reach Postgres like any write.
   */
  install(newClient: () => string): void {
    this.db.transaction(() => {
      this.db.exec(`
        CREATE TABLE IF NOT EXISTS ${OUTBOX} (id INTEGER PRIMARY KEY AUTOINCREMENT,
          txn INTEGER NOT NULL, tbl TEXT NOT NULL, op TEXT NOT NULL, key TEXT NOT NULL,
          old TEXT, new TEXT);
        CREATE TABLE IF NOT EXISTS ${STATE} (name TEXT PRIMARY KEY, value) WITHOUT ROWID;`);
      const first = this.get("client") === null;
      if (first) this.set("client", newClient());
      for (const [t, shape] of this.shapes) {
        const name = (op: string) => quote(`_wsq_sync_${t}_${op}`);
        const record = (op: string, old: string, row: string) =>
          `INSERT INTO ${OUTBOX} (txn, tbl, op, key, old, new) ` +
          `VALUES (wsq_sync_txn(), ${literal(t)}, '${op}', ` +
          `${rowJson(shape, op === "I" ? "NEW." : "OLD.", shape.key)}, ${old}, ${row});`;
        for (const op of ["insert", "update", "delete"])
          this.db.exec(`DROP TRIGGER IF EXISTS ${name(op)}`);
        const when = "WHEN wsq_sync_txn() IS NOT NULL";
        this.db.exec(`
          CREATE TRIGGER ${name("insert")} AFTER INSERT ON ${quote(t)} ${when}
            BEGIN ${record("I", "NULL", rowJson(shape, "NEW."))} END;
          CREATE TRIGGER ${name("update")} AFTER UPDATE ON ${quote(t)} ${when}
            BEGIN ${record("U", rowJson(shape, "OLD."), rowJson(shape, "NEW."))} END;
          CREATE TRIGGER ${name("delete")} AFTER DELETE ON ${quote(t)} ${when}
            BEGIN ${record("D", rowJson(shape, "OLD."), "NULL")} END;`);
        if (first) {
          this.db.exec(
            `INSERT INTO ${OUTBOX} (txn, tbl, op, key, old, new)
             SELECT wsq_sync_txn(), ${literal(t)}, 'I', ${rowJson(shape, "", shape.key)}, NULL,
                    ${rowJson(shape, "")} FROM ${quote(t)}`,
          );
        }
      }
    }, "immediate");
  }

  get(name: string): SqlValue | null {
    return (this.db.selectValue(`SELECT value FROM ${STATE} WHERE name = ?`, [name]) ??
      null) as SqlValue | null;
  }

  set(name: string, value: SqlValue | null): void {
    this.db.execute(`INSERT OR REPLACE INTO ${STATE} (name, value) VALUES (?, ?)`, [name, value]);
  }

  /** The outbox rows after id, in order (at most limit). */
  outbox(after = 0, limit = -1): OutboxRow[] {
    type Stored = Omit<OutboxRow, "key" | "old" | "new"> &
      Record<"key" | "old" | "new", string | null>;
    const rows = this.db.selectObjects<Stored>(
      `SELECT id, txn, tbl, op, key, old, new FROM ${OUTBOX} WHERE id > ? ORDER BY id LIMIT ?`,
      [after, limit],
    );
    const parse = (text: string | null) => (text === null ? null : (JSON.parse(text) as WireRow));
    return rows.map((r) => ({ ...r, key: parse(r.key)!, old: parse(r.old), new: parse(r.new) }));
  }

  /** Local transactions not acknowledged yet (in the outbox). */
  pending(): number {
    return Number(this.db.selectValue(`SELECT count(DISTINCT txn) FROM ${OUTBOX}`));
  }

  /** The highest outbox id (0: empty). */
  lastId(): number {
    return Number(this.db.selectValue(`SELECT coalesce(max(id), 0) FROM ${OUTBOX}`));
  }

  /**
   * The local transactions after the last one uploaded, in order, as the transactions of one
   * upload (about UPLOAD_ROWS outbox rows at most, but a larger transaction whole); seq is a
   * transaction's last outbox id. null: nothing to upload.
   */
  nextUpload(after: number): LocalTransaction[] | null {
    const rows = this.outbox(after, UPLOAD_ROWS);
    if (rows.length === 0) return null;
    const groups: OutboxRow[][] = [];
    for (const r of rows) {
      const last = groups[groups.length - 1];
      if (last && last[0].txn === r.txn) last.push(r);
      else groups.push([r]);
    }
    if (rows.length === UPLOAD_ROWS) {
      // The last transaction may go on past this read: it goes next time; unless it is the
      // only one, larger than a read: then the whole of it.
      if (groups.length > 1) groups.pop();
      else {
        const end = this.db.selectValue(`SELECT min(id) FROM ${OUTBOX} WHERE id > ? AND txn != ?`, [
          after,
          rows[0].txn,
        ]);
        groups[0] = this.outbox(after).filter((r) => end === null || r.id < Number(end));
      }
    }
    return groups.map((g) => ({
      seq: g[g.length - 1].id,
      writes: g.flatMap((r) => this.writesOf(r)),
    }));
  }

  private keyOf(table: string, row: WireRow): WireRow {
    return Object.fromEntries(this.shapes.get(table)!.key.map((k) => [k, row[k] ?? null]));
  }

  /** The columns a write changed: those of new that differ from old (every one without old). */
  private changed(r: OutboxRow): WireRow {
    return Object.fromEntries(
      Object.entries(r.new!).filter(([c, v]) => !r.old || !same(r.old[c], v)),
    );
  }

  /** An outbox row as the writes Postgres applies. */
  private writesOf(r: OutboxRow): LocalWrite[] {
    const { tbl: t, key } = r;
    if (r.op === "I") return [{ t, op: "insert", key, values: r.new }];
    if (r.op === "D") return [{ t, op: "delete", key, values: null }];
    const newKey = this.keyOf(t, r.new!);
    if (!same(key, newKey)) {
      return [
        { t, op: "delete", key, values: null },
        { t, op: "insert", key: newKey, values: r.new },
      ];
    }
    const values = this.changed(r);
    for (const k of Object.keys(key)) delete values[k];
    return Object.keys(values).length ? [{ t, op: "update", key, values }] : [];
  }

  /** The row of table at key as a wire row, or null. */
  private read(table: string, key: WireRow): WireRow | null {
    const shape = this.shapes.get(table)!;
    const where = shape.key.map((k) => `${quote(k)} IS ?`).join(" AND ");
    const text = this.db.selectValue(
      `SELECT ${rowJson(shape, "")} FROM ${quote(table)} WHERE ${where}`,
      shape.key.map((k) => sqlValue(key[k] ?? null)),
    );
    return typeof text === "string" ? JSON.parse(text) : null;
  }

  /** Writes row (its columns, the key among them) into table: inserted, or updated in place. */
  private upsert(table: string, row: WireRow): void {
    const shape = this.shapes.get(table)!;
    const cols = shape.columns.filter((c) => c in row);
    const rest = cols.filter((c) => !shape.key.includes(c));
    const update = rest.length
      ? `DO UPDATE SET ${rest.map((c) => `${quote(c)} = excluded.${quote(c)}`).join(", ")}`
      : "DO NOTHING";
    this.db.execute(
      `INSERT INTO ${quote(table)} (${cols.map(quote).join(", ")}) VALUES (${cols.map(() => "?").join(", ")})
       ON CONFLICT (${shape.key.map(quote).join(", ")}) ${update}`,
      cols.map((c) => sqlValue(row[c])),
    );
  }

  private remove(table: string, key: WireRow): void {
    const shape = this.shapes.get(table)!;
    const where = shape.key.map((k) => `${quote(k)} IS ?`).join(" AND ");
    this.db.execute(
      `DELETE FROM ${quote(table)} WHERE ${where}`,
      shape.key.map((k) => sqlValue(key[k] ?? null)),
    );
  }

  /** Puts the row of an outbox entry back as it was before it (old), or removes it. */
  private undo(r: OutboxRow): void {
    const newKey = r.new && this.keyOf(r.tbl, r.new);
    if (newKey && !same(newKey, r.key)) this.remove(r.tbl, newKey);
    if (r.old) this.upsert(r.tbl, r.old);
    else this.remove(r.tbl, r.key);
  }

  /** Makes an outbox entry's write again over what is there now, which becomes its old. */
  private redo(r: OutboxRow): void {
    const current = this.read(r.tbl, r.key);
    // An update in place (its key kept) changes its columns of the row as it is now.
    const inPlace = r.op === "U" && same(this.keyOf(r.tbl, r.new!), r.key);
    const row = inPlace && current ? { ...current, ...this.changed(r) } : r.new;
    this.db.execute(`UPDATE ${OUTBOX} SET old = ?, new = ? WHERE id = ?`, [
      current && JSON.stringify(current),
      row && JSON.stringify(row),
      r.id,
    ]);
    if (inPlace && !current) return; // deleted by the server: nothing to update
    if (!row || !same(this.keyOf(r.tbl, row), r.key)) this.remove(r.tbl, r.key);
    if (row) this.upsert(r.tbl, row);
  }

  /** A change of the server applied to the table. */
  private change(c: Change): void {
    if (!this.shapes.has(c.t)) return;
    if (c.op === "upsert") this.upsert(c.t, c.row);
    else if (c.op === "delete") this.remove(c.t, c.key);
    else this.db.exec(`DELETE FROM ${quote(c.t)}`);
  }

  /**
   * Applies server changes under the pending writes, in one transaction (the caller turns
   * capture off): batches of a pull, or a snapshot's rows (replace: the tables are emptied
   * first). pos (and snapshot) become the device's position.
   */
  rebase(
    batches: Batch[],
    pos: string,
    options: { snapshot?: string; rows?: { t: string; row: WireRow }[] } = {},
  ): Applied {
    const applied: Applied = { rejected: [], checkpoint: null };
    this.db.transaction(() => {
      const pending = this.outbox();
      for (let i = pending.length - 1; i >= 0; i--) this.undo(pending[i]);
      if (options.rows) {
        for (const t of this.shapes.keys()) this.db.exec(`DELETE FROM ${quote(t)}`);
        for (const { t, row } of options.rows) if (this.shapes.has(t)) this.upsert(t, row);
        this.set("snapshot", options.snapshot ?? null);
      }
      let acked = 0;
      for (const batch of batches) {
        for (const c of batch.changes) this.change(c);
        if (batch.ack && batch.ack.seq > acked) {
          const gone = this.db.execute(`DELETE FROM ${OUTBOX} WHERE id <= ?`, [batch.ack.seq]);
          acked = batch.ack.seq;
          // Reported once: by the ack that took the writes out of the outbox.
          if (gone.changes > 0) applied.rejected.push(...batch.ack.rejected);
        }
        if (batch.checkpoint !== undefined) applied.checkpoint = batch.checkpoint;
      }
      for (const r of pending) if (r.id > acked) this.redo(r);
      this.set("pos", pos);
    }, "immediate");
    return applied;
  }
}
