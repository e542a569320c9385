/**
 * Synchronous bindings over the wasm exports: one wasm call per operation, results decoded from
 * the core's buffers. Used directly in workers and in Node, and by the worker's message loop.
 */
import { type BindParams, type SqlValue, encodeParams } from "../codec/params.js";
import {
  type ColumnInfo,
  type ResultSet,
  decodeColumns,
  decodeNames,
  decodeResult,
} from "../codec/results.js";
import { type Key, keyBytes, keyError } from "../codec/key.js";
import {
  type CoreExports,
  ExportFlag,
  OpenFlag,
  PrepareFlag,
  ResultCode as RC,
  ResultFlag,
  RunFlag,
} from "../generated/constants.js";
import { misuse } from "../errors.js";
import type { HostFunction, Runtime } from "../runtime/runtime.js";

/** I/O of one database through the host (main file, journal and WAL together). */
export interface IoStats {
  reads: number;
  readBytes: number;
  writes: number;
  writeBytes: number;
  syncs: number;
  truncates: number;
  readMs: number;
  writeMs: number;
  syncMs: number;
  truncateMs: number;
}

/** One step of a VFS self-test. */
export interface SelfTestStep {
  step: string;
  ok: boolean;
  ms: number;
  detail: string;
}

/**
 * Runs the core's VFS self-test with a scratch file at path (for the host VFS, the host must be
 * able to open it: in OPFS, acquire it first).
 */
export function runSelfTest(runtime: Runtime, vfs: string, path: string): SelfTestStep[] {
  return runtime.invoke((x) => {
    const [ptr, len] = runtime.copyIn(vfs + path);
    const vfsLen = new TextEncoder().encode(vfs).length;
    const rc = x.wsq_self_test(ptr, vfsLen, ptr + vfsLen, len - vfsLen);
    if (rc !== 0 && rc !== RC.SQLITE_ERROR) throw runtime.error();
    const r = decodeResult(runtime.responseBytes());
    return r.rows.map(([step, ok, ms, detail]) => ({
      step: step as string,
      ok: ok === 1,
      ms: ms as number,
      detail: detail as string,
    }));
  });
}

/** The changeset that undoes changeset. */
export function invertChangeset(runtime: Runtime, changeset: Uint8Array): Uint8Array {
  return runtime.invoke((x) => {
    const [, , ptr, len] = runtime.copyIn("", changeset);
    if (x.wsq_changeset_invert(ptr, len) !== 0) throw runtime.error();
    return runtime.responseCopy();
  });
}

/** The names of the core's VFSes. */
export const VFS = { memory: "wsq-memory", host: "wsq-host", keyValue: "kvvfs" } as const;

export interface ConnectionOptions {
  /** SQLITE_OPEN_* flags. Default: read-write, create. */
  flags?: number;
  /** "wsq-host" (files through the host) or "wsq-memory". Default: the host. */
  vfs?: string;
  /** The key of an encrypted database (codec/key.ts). */
  key?: Key | null;
}

export class Connection {
  readonly runtime: Runtime;
  readonly path: string;
  readonly vfs: string;
  private handle: number;
  private deadlineMs = 0;
  private readonly statements = new Set<PreparedStatement>();
  private readonly functionIds: number[] = [];

  private constructor(runtime: Runtime, handle: number, path: string, vfs: string) {
    this.runtime = runtime;
    this.handle = handle;
    this.path = path;
    this.vfs = vfs;
  }

  /**
   * Opens (by default creating) a database; with a key, an encrypted one (the runtime must be
   * the encryption build: Runtime.hasCipher), whose key is proven here (WRONG_KEY).
   */
  static open(runtime: Runtime, path: string, options: ConnectionOptions = {}): Connection {
    const flags = options.flags ?? OpenFlag.SQLITE_OPEN_READWRITE | OpenFlag.SQLITE_OPEN_CREATE;
    const vfs = options.vfs ?? VFS.host;
    return runtime.invoke((x) => {
      // Both strings are staged together, the key's bytes after them: split at the UTF-8
      // length of path.
      const key = keyBytes(options.key ?? null);
      const [ptr, len, keyPtr, keyLen] = runtime.copyIn(path + vfs, key.bytes);
      const pathLen = new TextEncoder().encode(path).length;
      let rc: number;
      try {
        rc = x.wsq_open(
          ptr,
          pathLen,
          flags,
          ptr + pathLen,
          len - pathLen,
          keyPtr,
          keyLen,
          key.kind,
          runtime.outPtr,
        );
      } finally {
        runtime.u8().fill(0, keyPtr, keyPtr + keyLen);
      }
      if (rc !== 0) throw keyError(runtime.error());
      const c = new Connection(runtime, runtime.u32At(runtime.outPtr), path, vfs);
      runtime.opened(c.file, +1);
      return c;
    });
  }

  /**
   * Changes the key of the database (null: decrypts it), in one transaction; the runtime must
   * be the encryption build.
   */
  rekey(key: Key | null): void {
    const handle = this.live();
    this.runtime.invoke((x) => {
      const k = keyBytes(key);
      const [, , keyPtr, keyLen] = this.runtime.copyIn("", k.bytes);
      let rc: number;
      try {
        rc = x.wsq_rekey(handle, keyPtr, keyLen, k.kind);
      } finally {
        this.runtime.u8().fill(0, keyPtr, keyPtr + keyLen);
      }
      if (rc !== 0) throw keyError(this.runtime.error());
    });
  }

  /** The file as the runtime knows it: its VFS and path (Runtime.opened). */
  get file(): string {
    return `${this.vfs}:${this.path}`;
  }

  /** Whether statements or functions of this connection are alive (what a reopen would lose). */
  get busy(): boolean {
    return this.statements.size > 0 || this.functionIds.length > 0;
  }

  get isOpen(): boolean {
    return this.handle !== 0;
  }

  private live(): number {
    if (this.handle === 0) throw misuse(`the database '${this.path}' is closed`);
    return this.handle;
  }

  /** @internal one call into the core on this connection (or a statement of it), with its deadline. */
  call<T>(fn: (exports: CoreExports) => T): T {
    this.runtime.deadline(this.deadlineMs);
    return this.runtime.invoke(fn);
  }

  /**
   * Runs every statement of sql. params bind to the statement that has parameters (one per
   * script). With rows, the result holds the rows of the last statement that returned columns.
   */
  exec(sql: string, params?: BindParams | null, options: { rows?: boolean } = {}): ResultSet {
    return this.execEncoded(sql, encodeParams(params, false), options.rows ?? false);
  }

  /** exec() with parameters already encoded (the worker receives them so). */
  execEncoded(sql: string, params: Uint8Array | null, rows: boolean): ResultSet {
    return decodeResult(this.execRaw(sql, params, rows, false));
  }

  /**
   * exec() returning the raw result buffer: a copy the caller owns (e.g. to transfer), or with
   * copy false a view of wasm memory valid until the next call.
   */
  execRaw(sql: string, params: Uint8Array | null, rows: boolean, copy = true): Uint8Array {
    const handle = this.live();
    return this.call((x) => {
      const [ptr, len, pptr, plen] = this.runtime.copyIn(sql, params);
      const rc = x.wsq_exec(handle, ptr, len, pptr, plen, rows ? RunFlag.ROWS : 0);
      if (rc !== 0) throw this.runtime.error(sql);
      return copy ? this.runtime.responseCopy() : this.runtime.responseBytes();
    });
  }

  /**
   * Prepares the first statement of sql; returns null when sql holds none. The statement is
   * finalized by finalize() or when the connection closes.
   */
  prepare(sql: string, options: { persistent?: boolean } = {}): PreparedStatement | null {
    const handle = this.live();
    return this.call((x) => {
      const [ptr, len] = this.runtime.copyIn(sql);
      const out = this.runtime.outPtr;
      const flags = options.persistent === false ? 0 : PrepareFlag.PERSISTENT;
      const rc = x.wsq_prepare(handle, ptr, len, flags, out, out + 4);
      if (rc !== 0) throw this.runtime.error(sql);
      const id = this.runtime.u32At(out);
      if (id === 0) return null;
      // The response holds the statement's columns.
      return this.adopt(id, sql, decodeColumns(this.runtime.responseBytes()));
    });
  }

  /**
   * Prepares the first statement of sql, binds params and steps it up to chunkRows rows, in one
   * call. The chunk (a copy, with the column names) holds those rows; cursor is the statement
   * when it has more rows (step it on with stepRaw, finalize it), else null (already finalized).
   * SQL without a statement is SQLITE_MISUSE.
   */
  openCursor(
    sql: string,
    params: Uint8Array | null,
    chunkRows: number,
  ): { cursor: PreparedStatement | null; chunk: Uint8Array } {
    const handle = this.live();
    return this.call((x) => {
      const [ptr, len, pptr, plen] = this.runtime.copyIn(sql, params);
      const out = this.runtime.outPtr;
      const rc = x.wsq_cursor_open(handle, ptr, len, pptr, plen, chunkRows, out);
      if (rc !== RC.SQLITE_ROW && rc !== RC.SQLITE_DONE) throw this.runtime.error(sql);
      const chunk = this.runtime.responseCopy();
      const id = this.runtime.u32At(out);
      return { cursor: id === 0 ? null : this.adopt(id, sql, null), chunk };
    });
  }

  private adopt(id: number, sql: string, columns: ColumnInfo | null): PreparedStatement {
    const stmt = new PreparedStatement(this, id, sql, columns);
    this.statements.add(stmt);
    return stmt;
  }

  /** ConnFlag bits: a transaction is open; committed changes wait for takeCommittedTables. */
  flags(): number {
    const handle = this.live();
    return this.runtime.invoke((x) => x.wsq_conn_flags(handle));
  }

  /**
   * Turns change capture on or off (wsq_conn_capture in web_sqlite.h): while it is off, the
   * triggers of synced tables record nothing (the sync engine applying the server's changes).
   */
  capture(on: boolean): void {
    const handle = this.live();
    this.runtime.invoke((x) => x.wsq_conn_capture(handle, on ? 1 : 0));
  }

  /**
   * The tables that transactions committed since the last call changed ("schema.table" for an
   * attached database; temp tables are left out).
   */
  takeCommittedTables(): string[] {
    const handle = this.live();
    return this.call((x) => {
      x.wsq_conn_changes(handle);
      return decodeNames(this.runtime.responseBytes());
    });
  }

  /**
   * The tables the first statement of sql reads, named as takeCommittedTables names them
   * (through views, subqueries and CTEs; a virtual table with its shadow tables). Nothing runs.
   */
  tablesRead(sql: string): string[] {
    const handle = this.live();
    return this.call((x) => {
      const [ptr, len] = this.runtime.copyIn(sql);
      if (x.wsq_tables_read(handle, ptr, len) !== 0) throw this.runtime.error(sql);
      return decodeNames(this.runtime.responseBytes());
    });
  }

  /**
   * Starts recording the changes made through this connection to its main database (SQLite's
   * session extension); returns the session's handle. Closing the connection ends it.
   */
  startSession(): number {
    const handle = this.live();
    return this.call((x) => {
      if (x.wsq_session_start(handle, this.runtime.outPtr) !== 0) throw this.runtime.error();
      return this.runtime.u32At(this.runtime.outPtr);
    });
  }

  /** The changes a session recorded so far, as a changeset (a copy); end: the session ends. */
  sessionChangeset(session: number, end: boolean): Uint8Array {
    this.live();
    return this.call((x) => {
      if (x.wsq_session_changeset(session, end ? 1 : 0) !== 0) throw this.runtime.error();
      return this.runtime.responseCopy();
    });
  }

  /**
   * Applies a changeset, all or nothing, with a ConflictPolicy; conflicts counts the changes
   * omitted or replaced.
   */
  applyChangeset(changeset: Uint8Array, policy: number): { conflicts: number } {
    const handle = this.live();
    return this.call((x) => {
      const [, , ptr, len] = this.runtime.copyIn("", changeset);
      if (x.wsq_changeset_apply(handle, ptr, len, policy) !== 0) throw this.runtime.error();
      return { conflicts: Number(decodeResult(this.runtime.responseBytes()).rows[0][0]) };
    });
  }

  /** changes(), last insert rowid and autocommit of the connection. */
  state(): { changes: number; lastInsertRowid: number | bigint; autocommit: boolean } {
    const handle = this.live();
    return this.call((x) => {
      x.wsq_conn_state(handle);
      const r = decodeResult(this.runtime.responseBytes());
      const autocommit = (r.flags & ResultFlag.AUTOCOMMIT) !== 0;
      return { changes: r.changes, lastInsertRowid: r.lastInsertRowid, autocommit };
    });
  }

  /**
   * Statements still running at deadlineMs (Date.now() clock) stop with SQLITE_INTERRUPT; 0
   * removes the deadline. It stays set for later calls on this connection until changed.
   */
  deadline(deadlineMs: number): void {
    this.deadlineMs = deadlineMs;
  }

  /**
   * Registers a host function under name for this connection (flags: FunctionFlag bits; nArgs
   * -1 for any number). It stays registered until the connection closes.
   */
  createFunction(name: string, nArgs: number, flags: number, fn: HostFunction): void {
    const handle = this.live();
    const id = this.runtime.addFunction(fn);
    this.functionIds.push(id);
    this.call((x) => {
      const [ptr, len] = this.runtime.copyIn(name);
      const rc = x.wsq_create_function(handle, ptr, len, nArgs, flags, id);
      if (rc !== 0) {
        this.runtime.removeFunction(id);
        throw this.runtime.error();
      }
    });
  }

  /** The I/O counters of this database since the instance first opened it. */
  stats(): IoStats {
    const handle = this.live();
    return this.call((x) => {
      x.wsq_conn_stats(handle);
      const r = decodeResult(this.runtime.responseBytes());
      return Object.fromEntries(r.columns.map((c, i) => [c, Number(r.rows[0][i])])) as never;
    });
  }

  /**
   * The database file's bytes (a copy): as it is (an encrypted database's encrypted), or with
   * pages, its pages as SQLite reads them (an encrypted database's decrypted). Throws
   * SQLITE_MISUSE inside a transaction.
   */
  export(options: { pages?: boolean } = {}): Uint8Array {
    const handle = this.live();
    return this.call((x) => {
      if (x.wsq_export(handle, options.pages ? ExportFlag.PAGES : 0) !== 0) {
        throw this.runtime.error();
      }
      return this.runtime.responseCopy();
    });
  }

  /** How long a lock held elsewhere is waited for (sqlite3_busy_timeout); 0: not at all. */
  busyTimeoutMs = 0;

  busyTimeout(ms: number): void {
    const handle = this.live();
    this.call((x) => x.wsq_busy_timeout(handle, ms));
    this.busyTimeoutMs = ms;
  }

  /** Closes the database, finalizing its statements. Closing twice is harmless. */
  close(): void {
    if (this.handle === 0) return;
    const handle = this.handle;
    this.handle = 0;
    for (const stmt of this.statements) stmt.forget();
    this.statements.clear();
    for (const id of this.functionIds) this.runtime.removeFunction(id);
    this.functionIds.length = 0;
    this.runtime.opened(this.file, -1);
    if (!this.runtime.dead) this.runtime.invoke((x) => x.wsq_close(handle));
  }

  /** @internal */
  release(stmt: PreparedStatement): void {
    this.statements.delete(stmt);
  }

  /** @internal */
  connectionHandle(): number {
    return this.live();
  }
}

export class PreparedStatement {
  readonly connection: Connection;
  readonly sql: string;
  private id: number;
  private columnInfo: ColumnInfo | null;

  /** @internal use Connection.prepare */
  constructor(connection: Connection, id: number, sql: string, columns: ColumnInfo | null) {
    this.connection = connection;
    this.id = id;
    this.sql = sql;
    this.columnInfo = columns;
  }

  get isFinalized(): boolean {
    return this.id === 0;
  }

  private live(): number {
    if (this.id === 0) {
      throw misuse(
        this.connection.isOpen
          ? "the statement is finalized"
          : `the statement's database '${this.connection.path}' is closed`,
      );
    }
    return this.id;
  }

  private get runtime(): Runtime {
    return this.connection.runtime;
  }

  private call<T>(fn: (exports: CoreExports) => T): T {
    return this.connection.call(fn);
  }

  /** Column names and declared types (cached). */
  columns(): ColumnInfo {
    const id = this.live();
    if (!this.columnInfo) {
      this.columnInfo = this.call((x) => {
        x.wsq_stmt_columns(id);
        return decodeColumns(this.runtime.responseBytes());
      });
    }
    return this.columnInfo;
  }

  /** Binds parameters (copied); they stay bound across reset() until clearBindings(). */
  bind(params: BindParams): this {
    return this.bindEncoded(encodeParams(params, false));
  }

  bindEncoded(params: Uint8Array | null): this {
    const id = this.live();
    this.call((x) => {
      const [, , pptr, plen] = this.runtime.copyIn("", params);
      const rc = x.wsq_stmt_bind(id, pptr, plen);
      if (rc !== 0) throw this.runtime.error(this.sql);
    });
    return this;
  }

  /**
   * Binds one value, leaving the other parameters as they are: at a 1-based index, or to the
   * parameter called name (":x", "@x", "$x", or "x").
   */
  bindOne(at: number | string, value: SqlValue): this {
    const id = this.live();
    const encoded =
      typeof at === "string" ? encodeParams({ [at]: value }, false) : encodeParams([value], false);
    this.call((x) => {
      const [, , pptr, plen] = this.runtime.copyIn("", encoded);
      const rc = x.wsq_stmt_bind_one(id, pptr, plen, typeof at === "number" ? at : 0);
      if (rc !== 0) throw this.runtime.error(this.sql);
    });
    return this;
  }

  /**
   * Steps up to maxRows rows. result.more is true when rows remain; the statement must then be
   * stepped again, or reset.
   */
  step(maxRows = 1): ResultSet {
    const names = this.columns().names;
    return this.stepWith(maxRows, () => decodeResult(this.runtime.responseBytes(), names));
  }

  /** step() returning the undecoded rows (a copy), for the worker to transfer. */
  stepRaw(maxRows: number): { chunk: Uint8Array; more: boolean } {
    return this.stepWith(maxRows, (more) => ({ chunk: this.runtime.responseCopy(), more }));
  }

  private stepWith<T>(maxRows: number, read: (more: boolean) => T): T {
    const id = this.live();
    return this.call((x) => {
      const rc = x.wsq_stmt_step(id, maxRows);
      if (rc !== RC.SQLITE_ROW && rc !== RC.SQLITE_DONE) throw this.runtime.error(this.sql);
      return read(rc === RC.SQLITE_ROW);
    });
  }

  /** One whole execution: bind params (when given), run to the end, reset. */
  run(params?: BindParams | null, options: { rows?: boolean } = {}): ResultSet {
    return decodeResult(this.runRaw(encodeParams(params, false), options.rows ?? false, false));
  }

  /**
   * run() with encoded parameters; copy=false returns a view valid until the next call. With
   * firstRow it stops after the first row (get).
   */
  runRaw(params: Uint8Array | null, rows: boolean, copy = true, firstRow = false): Uint8Array {
    const id = this.live();
    const flags = (rows ? RunFlag.ROWS : 0) | (firstRow ? RunFlag.FIRST_ROW : 0);
    return this.call((x) => {
      const [, , pptr, plen] = this.runtime.copyIn("", params);
      const rc = x.wsq_stmt_run(id, pptr, plen, flags);
      if (rc !== 0) throw this.runtime.error(this.sql);
      return copy ? this.runtime.responseCopy() : this.runtime.responseBytes();
    });
  }

  reset(): this {
    const id = this.live();
    this.call((x) => x.wsq_stmt_reset(id));
    return this;
  }

  clearBindings(): this {
    const id = this.live();
    this.call((x) => x.wsq_stmt_clear_bindings(id));
    return this;
  }

  /** Releases the statement. Finalizing twice is harmless. */
  finalize(): void {
    if (this.id === 0) return;
    const id = this.id;
    this.id = 0;
    this.connection.release(this);
    if (!this.runtime.dead) this.runtime.invoke((x) => x.wsq_stmt_finalize(id));
  }

  /** @internal the connection closed: the core already finalized the statement. */
  forget(): void {
    this.id = 0;
  }
}
