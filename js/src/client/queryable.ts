/**
 * The query methods a Database and a transaction's tx share: each checks that its caller may use
 * the database now (core.ts), encodes the parameters here, so a bad value throws at the call
 * site, and decodes the result buffers here.
 */
import { type BindParams, type Row, type SqlValue, encodeParams } from "../codec/params.js";
import {
  type ExecuteResult,
  decodeExecuteResult,
  decodeObjects,
  decodeResult,
} from "../codec/results.js";
import { type ApplyOptions, changesetBytes, onConflictOf } from "../bindings/changes.js";
import { type DatabaseCore, type Owner, transferOf } from "./core.js";
import { cursorRows } from "./cursor.js";
import type {
  ArrayRows,
  BatchObject,
  BatchResult,
  BatchStatement,
  IterateOptions,
  RunResult,
} from "./options.js";
import { Statement } from "./statement.js";

function batchItem(statement: BatchStatement, index: number): { sql: string; params?: BindParams } {
  if (typeof statement === "string") return { sql: statement };
  if (Array.isArray(statement)) return { sql: statement[0], params: statement[1] };
  if (statement && typeof statement === "object" && typeof statement.sql === "string") {
    return statement;
  }
  throw new TypeError(
    `batch: item ${index + 1} must be a string, [sql, params] or { sql, params }`,
  );
}

/** The query methods shared by a Database and a transaction's tx. */
export abstract class Queryable {
  /** @internal */
  protected readonly core: DatabaseCore;
  /** @internal null for the database itself, the transaction for tx. */
  protected abstract readonly caller: Owner | null;

  /** @internal */
  constructor(core: DatabaseCore) {
    this.core = core;
  }

  private async run(sql: string, params: BindParams | undefined, rows: boolean, what: string) {
    this.core.check(this.caller, what);
    return this.core.exec(sql, encodeParams(params), rows);
  }

  /** Runs one statement or a script of several. params bind to the (one) statement that has parameters. */
  async exec(sql: string, params?: BindParams): Promise<RunResult> {
    const r = decodeResult(await this.run(sql, params, false, "exec"));
    return { changes: r.changes, lastInsertRowid: r.lastInsertRowid };
  }

  /** Rows of a query as objects keyed by column name (a later duplicate name wins). */
  async query<T = Row>(sql: string, params?: BindParams): Promise<T[]> {
    return decodeObjects<T>(await this.run(sql, params, true, "query")).rows;
  }

  /** Rows of a query as arrays, with the column names. */
  async queryArrays(sql: string, params?: BindParams): Promise<ArrayRows> {
    const { columns, rows } = decodeResult(await this.run(sql, params, true, "queryArrays"));
    return { columns, rows };
  }

  /**
   * Runs a statement (or a script) and resolves with everything it produced: the rows as arrays
   * with the column names (of the last statement that returns rows), and changes and
   * lastInsertRowid: the shape query builders' drivers build on.
   */
  async execute(sql: string, params?: BindParams): Promise<ExecuteResult> {
    return decodeExecuteResult(await this.run(sql, params, true, "execute"));
  }

  /**
   * A tagged template: every ${value} is bound as a parameter, never spliced into the text.
   * Resolves with the rows as objects.
   *
   *     const rows = await db.sql`SELECT * FROM users WHERE id = ${id}`;
   */
  sql<T = Row>(strings: TemplateStringsArray, ...values: SqlValue[]): Promise<T[]> {
    let text = strings[0];
    for (let i = 1; i < strings.length; i++) text += `?${i}${strings[i]}`;
    return this.query<T>(text, values);
  }

  /** Prepares a statement for repeated use. Finalize it when done (close() does too). */
  async prepare(sql: string): Promise<Statement> {
    const db = this.core.check(this.caller, "prepare");
    const { stmt, columns } = await this.core.request("prepare", { db, sql });
    return new Statement(this.core, stmt, sql, columns);
  }

  /**
   * Streams the rows of one query, a chunk of rows per round trip, so no side ever holds the
   * whole result. Leaving the loop early (break, return, throw) finalizes the query.
   */
  iterate<T = Row>(
    sql: string,
    params?: BindParams,
    options: IterateOptions = {},
  ): AsyncGenerator<T, void, undefined> {
    return cursorRows<T>(this.core, this.caller, sql, params, options);
  }

  /**
   * Runs statements in one round trip, atomically: in a transaction of their own, or in a
   * savepoint inside an open one. If one fails, none of them leaves a trace.
   */
  async batch<T = Row>(statements: BatchStatement[]): Promise<BatchResult<T>[]> {
    return (await this.batchRaw(statements)).map((buffer) => {
      const r = decodeObjects<T>(buffer);
      return { rows: r.rows, changes: r.changes, lastInsertRowid: r.lastInsertRowid };
    });
  }

  /** @internal batch() with each statement's rows as arrays (web-sqlite/drizzle's batch). */
  async batchArrays(statements: BatchStatement[]): Promise<ExecuteResult[]> {
    return (await this.batchRaw(statements)).map(decodeExecuteResult);
  }

  private async batchRaw(statements: BatchStatement[]): Promise<Uint8Array[]> {
    const db = this.core.check(this.caller, "batch");
    if (!Array.isArray(statements)) throw new TypeError("batch: expected an array of statements");
    const items = statements.map((s, i) => {
      const { sql, params } = batchItem(s, i);
      return { sql, params: encodeParams(params) };
    });
    return this.core.request(
      "batch",
      { db, items, deadline: this.core.deadline() },
      items.flatMap((item) => transferOf(item.params)),
    );
  }

  /**
   * Applies a changeset (from recordChanges, in this database or another, in a browser or in
   * Node), all or nothing. options.onConflict: "abort" (default: any conflict rejects with
   * SQLITE_ABORT naming it, and nothing is applied), "omit" or "replace". A table this database
   * lacks is SQLITE_SCHEMA. Resolves with how many changes met a conflict (omitted or replaced).
   */
  async applyChangeset(
    changeset: Uint8Array | ArrayBuffer,
    options?: ApplyOptions,
  ): Promise<{ conflicts: number }> {
    const db = this.core.check(this.caller, "applyChangeset");
    const onConflict = onConflictOf(options);
    const bytes = changesetBytes("applyChangeset", changeset).slice(); // (transferred)
    const args = { db, changeset: bytes, onConflict, deadline: this.core.deadline() };
    return this.core.request("applyChangeset", args, [bytes.buffer as ArrayBuffer]);
  }
}
