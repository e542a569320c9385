/**
 * The Statement of the synchronous API (exported as `Statement` from web-sqlite/sync): bind, step
 * a row at a time, read the current row. One wasm call per step (never per cell): the row arrives
 * decoded and row() / value() read from it. (The Promise API's `get` means "the first row"; here
 * reading is of the row the last step() reached, so it has names of its own.)
 */
import type { BindParams, Row, SqlValue } from "../codec/params.js";
import { misuse } from "../errors.js";
import type { PreparedStatement } from "./connection.js";

/** What a statement needs of its database (a Database of the synchronous API). */
export interface StatementOwner {
  readonly isOpen: boolean;
}

export class SyncStatement<D extends StatementOwner = StatementOwner> {
  /** The database it was prepared on. */
  readonly db: D;
  readonly sql: string;
  private readonly prepared: PreparedStatement;
  private current: SqlValue[] | null = null;

  /** @internal use db.prepare() */
  constructor(db: D, prepared: PreparedStatement) {
    this.db = db;
    this.prepared = prepared;
    this.sql = prepared.sql;
  }

  /** The number of result columns (0 for statements that return no rows). */
  get columnCount(): number {
    return this.prepared.columns().names.length;
  }

  getColumnNames(): string[] {
    return [...this.prepared.columns().names];
  }

  get isFinalized(): boolean {
    return this.prepared.isFinalized;
  }

  /**
   * bind(values): every parameter at once — an array by position, an object by name (every
   * parameter must get exactly one value). bind(at, value): one parameter, by 1-based index or
   * by name (":x", "@x", "$x" or "x"), the others left as they are. Either resets the statement.
   */
  bind(values: BindParams): this;
  bind(at: number | string, value: SqlValue): this;
  bind(a: BindParams | number | string, value?: SqlValue): this {
    this.current = null;
    if (typeof a === "number" || typeof a === "string") this.prepared.bindOne(a, value as SqlValue);
    else this.prepared.bind(a);
    return this;
  }

  /**
   * Steps to the next row; true when there is one (read it with row() or value()), false at the
   * end.
   */
  step(): boolean {
    const r = this.prepared.step(1);
    this.current = r.rows.length ? r.rows[0] : null;
    return this.current !== null;
  }

  /** The row step() reached; SQLITE_MISUSE when there is none. */
  private currentRow(): SqlValue[] {
    if (this.current) return this.current;
    throw misuse(
      this.isFinalized
        ? "the statement is finalized"
        : "there is no current row: call step() first, and only while it returns true",
    );
  }

  /** The value of column index (0-based) of the current row. */
  value(index: number): SqlValue {
    const row = this.currentRow();
    if (!Number.isInteger(index) || index < 0 || index >= row.length) {
      throw new RangeError(`column index ${index} is out of range (0 to ${row.length - 1})`);
    }
    return row[index];
  }

  /**
   * The current row: row() or row([]) as an array (filling the array given); row({}) as an
   * object keyed by column name (filling the object given).
   */
  row(): SqlValue[];
  row(target: SqlValue[]): SqlValue[];
  row(target: Record<string, never>): Row;
  row(target?: SqlValue[] | Record<string, never>): SqlValue[] | Row {
    const row = this.currentRow();
    if (target !== undefined && (typeof target !== "object" || target === null)) {
      throw new TypeError(
        `row() takes nothing, [] or {}, not ${typeof target}: value(index) reads one column`,
      );
    }
    if (target === undefined || Array.isArray(target)) {
      if (!target) return row.slice();
      target.length = 0;
      target.push(...row);
      return target;
    }
    const names = this.prepared.columns().names;
    const out = target as Row;
    for (let i = 0; i < names.length; i++) out[names[i]] = row[i];
    return out;
  }

  /** Rewinds the statement to run again; with clearBindings, the parameters go back to NULL. */
  reset(clearBindings = false): this {
    this.current = null;
    this.prepared.reset();
    if (clearBindings) this.prepared.clearBindings();
    return this;
  }

  clearBindings(): this {
    this.current = null;
    this.prepared.clearBindings();
    return this;
  }

  /** Releases the statement; later use throws SQLITE_MISUSE. Finalizing twice is harmless. */
  finalize(): void {
    this.current = null;
    this.prepared.finalize();
  }

  /** The remaining rows as objects; the statement is reset when the loop ends. */
  *[Symbol.iterator](): IterableIterator<Row> {
    try {
      while (this.step()) yield this.row({});
    } finally {
      if (!this.isFinalized && this.db.isOpen) this.reset();
    }
  }
}
