/**
 * The Database of the synchronous API (exported as `Database` from web-sqlite/sync), for code
 * that runs next to the wasm (a worker, or Node): no
 * round trips, every call returns its result. The worker of the Promise API opens its databases
 * through SyncDatabase.open too, so both APIs share one way of opening and configuring them.
 */
import { type BindParams, type Row, type SqlValue, encodeParams } from "../codec/params.js";
import { type Key, checkKey } from "../codec/key.js";
import { FunctionCall, FunctionFlag, OpenFlag, ResultCode as RC } from "../generated/constants.js";
import {
  type ExecuteResult,
  decodeObjects,
  decodeExecuteResult,
  decodeResult,
} from "../codec/results.js";
import { WebSqliteError, misuse } from "../errors.js";
import type { WasmSource } from "../runtime/runtime.js";
import { STORAGE_KINDS, type Storage, isPersistent } from "../runtime/storages.js";
import type { Choice } from "../runtime/stores.js";
import type { DatabaseStore } from "../runtime/store.js";
import {
  type ApplyOptions,
  type Migration,
  type MigrationResult,
  applyChangeset,
  changesetBytes,
  migrate,
  migrationSteps,
  onConflictOf,
  recordChanges,
} from "./changes.js";
import { Connection, type IoStats, VFS, invertChangeset } from "./connection.js";
import { type Environment, loadedEnvironment, sharedEnvironment } from "./environment.js";
import { SyncStatement } from "./sync-statement.js";
import { TransactionController, type TransactionMode, checkMode } from "./transaction.js";

export type { Row } from "../codec/params.js";
export type { IoStats, SelfTestStep } from "./connection.js";
export type { ApplyOptions, Migration, MigrationResult, OnConflict } from "./changes.js";

export { type SelfTestReport, selfTest } from "./self-test.js";

/**
 * Per-connection settings of persistent databases, chosen by measurement (docs/PERFORMANCE.md):
 * WAL, one flush per durable commit (a rollback journal makes four). SQLite checkpoints every
 * 1000 pages (4 MiB) and then writes the WAL from its start again; a transaction larger than that
 * leaves the file larger, which the size limit cuts back to 4 MiB at the next restart.
 */
export const PERSISTENT_PRAGMAS = "PRAGMA journal_mode = WAL; PRAGMA journal_size_limit = 4194304";
/**
 * "full": every commit flushed before it returns. "relaxed": with WAL, flushes only at
 * checkpoints, so a crash of the OS may lose the last commits but never damages the database.
 */
const SYNCHRONOUS = { full: "PRAGMA synchronous = FULL", relaxed: "PRAGMA synchronous = NORMAL" };

export interface DatabaseOptions {
  /**
   * "opfs" (in a dedicated worker: the OPFS file `name`), "idb" (IndexedDB, in a browser),
   * "file" (Node: the file at path `name`) or "memory". Default: in a dedicated worker OPFS, or
   * IndexedDB where OPFS cannot open files synchronously; in Node files. Where there is none (a
   * page), UNSUPPORTED: memory only when asked for.
   */
  storage?: Storage;
  /** "create" (default: read-write, created if missing), "readwrite" or "readonly". */
  mode?: "create" | "readwrite" | "readonly";
  /** "full" (default) or "relaxed", as in the Promise API (docs/API.md). */
  durability?: "full" | "relaxed";
  /**
   * The key of an encrypted database: a passphrase (string) or the key's 32 bytes (Uint8Array);
   * a new database is created encrypted. Proven at open (WRONG_KEY). docs/API.md, "Encryption".
   */
  key?: Key | null;
  /** Where web-sqlite.wasm is, for the first load in this thread. */
  wasm?: WasmSource;
}

/** @internal how the worker opens databases on its own runtime and store, and JsStorageDb. */
export interface InternalOptions extends DatabaseOptions {
  environment?: Environment;
  /** A database in Web Storage, through the "kvvfs" VFS. */
  webStorage?: "local" | "session";
}

/**
 * Where a database opens: the storage asked for, else the environment's persistent store. Never
 * memory unless asked: without a store, UNSUPPORTED says what is missing and what to pass.
 */
function storageOf(
  name: string,
  options: InternalOptions,
  preferred: Choice | null,
): SyncDatabase["storage"] {
  const storage =
    options.webStorage ??
    options.storage ??
    (typeof preferred === "object" ? preferred?.kind : null);
  if (storage) return storage;
  throw new WebSqliteError(
    "UNSUPPORTED",
    `no persistent storage for "${name}": ${preferred ?? "not chosen yet"}. Pass ` +
      '{ storage: "memory" } for a database that lives in memory, gone when this thread ends.',
  );
}

/** An aggregate for createFunction: step per row, final per group. */
export interface AggregateFunction {
  /** The accumulator of a new group (default null). */
  start?: () => unknown;
  /** Returns the new accumulator. */
  step: (acc: any, ...args: SqlValue[]) => unknown;
  /** The group's result (default: the accumulator). */
  final?: (acc: any) => unknown;
}

export interface FunctionOptions {
  /** Number of SQL arguments; default the function's length (step's, minus the accumulator); -1 any. */
  arity?: number;
  /** The same arguments always give the same result (lets SQLite use it in indexes). */
  deterministic?: boolean;
  /** Safe to use in schema, views and triggers. */
  innocuous?: boolean;
  /** Only in top-level SQL, never from schema. */
  directOnly?: boolean;
}

export interface ExecOptions {
  /** Parameters of the (one) statement of the script that has parameters. */
  bind?: BindParams;
  /** How rows are given: "array" (default), "object", or "value" (the first column). */
  rowMode?: "array" | "object" | "value";
  /** Called with each row of the last statement that returns rows, and its index. */
  callback?: (row: unknown, index: number) => void;
  /** Rows are appended here too. */
  resultRows?: unknown[];
  /** Filled with the column names of those rows. */
  columnNames?: string[];
  /** "this" (default): exec returns the database, for chaining; "resultRows": the rows. */
  returnValue?: "this" | "resultRows";
}

/**
 * The VFS of a database's storage: a persistent storage's files through its store (the host),
 * memory, or the Web Storage areas of JsStorageDb ("local", "session").
 */
function vfsOf(storage: SyncDatabase["storage"]): (typeof VFS)[keyof typeof VFS] {
  if (storage === "local" || storage === "session") return VFS.keyValue;
  return isPersistent(storage) ? VFS.host : VFS.memory;
}

const FLAGS = {
  create: OpenFlag.SQLITE_OPEN_READWRITE | OpenFlag.SQLITE_OPEN_CREATE,
  readwrite: OpenFlag.SQLITE_OPEN_READWRITE,
  readonly: OpenFlag.SQLITE_OPEN_READONLY,
};

export class SyncDatabase {
  readonly name: string;
  readonly storage: Storage | "local" | "session";
  /** The path SQLite opened (Node: absolute), or the name. */
  readonly filename: string;
  /** @internal the connection under this database (the worker reads raw buffers from it). */
  connection: Connection;
  private readonly environment: Environment;
  /** @internal the transactions of this database (the worker runs the Promise API's here). */
  transactions: TransactionController;
  /** How the connection opens (again, when rekey moves it to the encryption build). */
  private readonly opening: { vfs: string; flags: number; persistent: boolean };
  private readonly durability: "full" | "relaxed";
  /**
   * @internal the key the database is open with, in this thread's memory alone (the sync engine
   * opens its own connection with it; never stored, never sent).
   */
  key: Key | null = null;
  /** Whether the store holds files for this database (released on close). */
  private acquired: boolean;
  private readonly baseline: IoStats;

  /**
   * Loads the wasm for this thread (once), so that `new Database(...)` can open memory and Node
   * file databases synchronously.
   */
  static async ready(options: { wasm?: WasmSource } = {}): Promise<void> {
    await sharedEnvironment(options.wasm);
  }

  /**
   * Opens a database, loading the wasm first if needed. OPFS databases can only be opened this
   * way: their files are reached through access handles that open asynchronously, so they are
   * acquired here, before SQLite opens the database synchronously.
   */
  static async open(name: string, options: InternalOptions = {}): Promise<SyncDatabase> {
    const key = checkKey(options.key);
    const environment = options.environment ?? (await sharedEnvironment(options.wasm));
    await environment.runtimes.ready(key !== null);
    const stores = environment.stores;
    const asked = options.webStorage ?? options.storage;
    const storage = storageOf(name, options, asked ? null : await stores.preferred());
    if (!isPersistent(storage)) {
      return new SyncDatabase(name, { ...options, environment });
    }
    const store = stores.get(storage);
    store.path(name); // a bad name fails before anything is touched
    await stores.acquire(store, name, { create: (options.mode ?? "create") === "create" });
    try {
      return new SyncDatabase(name, { ...options, storage, environment }, true);
    } catch (e) {
      await store.release(name);
      throw e;
    }
  }

  /**
   * Opens a memory database, or (in Node) a file database, synchronously: the wasm must be
   * loaded (Database.ready()). OPFS databases need `await Database.open()`.
   */
  constructor(name: string, options: InternalOptions = {}, acquired = false) {
    if (typeof name !== "string" || name.length === 0) {
      throw new TypeError("Database: name must be a non-empty string");
    }
    const environment = options.environment ?? loadedEnvironment();
    const storage = storageOf(name, options, environment.stores.preferredNow());
    const mode = options.mode ?? "create";
    if (!(mode in FLAGS))
      throw new TypeError('Database: mode must be "create", "readwrite" or "readonly"');
    const vfs = vfsOf(storage);
    const kind = vfs === VFS.keyValue ? null : STORAGE_KINDS[storage as Storage];
    if (kind?.opensAsynchronously && !acquired) {
      throw new WebSqliteError(
        "UNSUPPORTED",
        `${kind.title} databases open asynchronously: use ` +
          "`await Database.open(name)` instead of `new Database()`",
      );
    }
    const store = isPersistent(storage) ? environment.stores.get(storage) : null;
    const path = store ? store.path(name) : name;
    this.name = name;
    this.storage = storage;
    this.filename = path;
    this.environment = environment;
    this.opening = { vfs, flags: FLAGS[mode], persistent: store !== null && mode !== "readonly" };
    this.durability = options.durability ?? "full";
    this.connection = this.connect(checkKey(options.key));
    this.acquired = acquired;
    this.transactions = new TransactionController(this.connection);
    this.baseline = this.connection.stats();
  }

  /** Opens the connection, in the runtime that opens this database (Runtimes.pick). */
  private connect(key: Key | null): Connection {
    const { vfs, flags, persistent } = this.opening;
    const runtime = this.environment.runtimes.pick(
      `${vfs}:${this.filename}`,
      key !== null,
      this.name,
    );
    const connection = Connection.open(runtime, this.filename, { vfs, flags, key });
    try {
      // One call: the journal mode of persistent databases, and the durability.
      const synchronous = SYNCHRONOUS[this.durability];
      connection.exec(persistent ? `${PERSISTENT_PRAGMAS}; ${synchronous}` : synchronous);
    } catch (e) {
      connection.close();
      throw e;
    }
    this.key = key;
    return connection;
  }

  /**
   * Changes the key of the database: a key encrypts a database that is not encrypted, or
   * replaces its key; null decrypts it. One transaction: a crash leaves the database with its
   * old key or its new one. Needs the database to itself: no transaction, no statement or
   * function of this Database, no other connection to it (another Database, another tab).
   */
  async rekey(key: Key | null): Promise<void> {
    const next = checkKey(key, "rekey's key");
    const c = this.connection;
    if (!c.isOpen) throw misuse(`the database '${this.name}' is closed`);
    if (c.busy || !c.state().autocommit || c.runtime.openCount(c.file) > 1) {
      throw new WebSqliteError(
        "DATABASE_OPEN",
        `rekey needs '${this.name}' to itself: finalize its statements, end its transaction ` +
          "and close its other connections (other Database objects, other tabs) first",
      );
    }
    // A database's pages change form (plain <-> encrypted) through a copy, moved over it at the
    // end; a new key for an encrypted one (or any change of a memory database) is written in
    // place, in the encryption build.
    const changesForm = (next === null) !== (this.key === null);
    if (changesForm && isPersistent(this.storage)) {
      await this.rekeyByCopy(this.environment.stores.get(this.storage), next);
    } else {
      if (!c.runtime.hasCipher) {
        // The database moves to the encryption build: closed here, opened there as it is.
        await this.environment.runtimes.ready(true);
        c.close();
        this.reconnect(this.key);
      }
      this.connection.rekey(next);
    }
    this.key = next;
  }

  private reconnect(key: Key | null): void {
    this.connection = this.connect(key);
    this.transactions = new TransactionController(this.connection);
  }

  /**
   * Encrypts or decrypts by a copy moved over the database, as importDatabase does: the pages as
   * SQLite reads them (decrypted) go to a scratch file, which SQLite3MC encrypts where it is when
   * there is a key, then the scratch file replaces the database. A crash leaves the database as
   * it was or as it became, whole; a scratch file left behind is swept like an import's.
   * (SQLite3MC's own change of form rewrites the file in place through the rollback journal, and
   * a crash while it writes can leave a file that no key opens: docs/RELIABILITY.md.)
   */
  private async rekeyByCopy(store: DatabaseStore, next: Key | null): Promise<void> {
    const pages = this.connection.export({ pages: true });
    const scratch = await store.writeScratch(
      this.name,
      (async function* () {
        yield pages;
      })(),
    );
    try {
      if (next !== null) {
        await store.acquire(scratch);
        try {
          const runtime = await this.environment.runtimes.ready(true);
          const copy = Connection.open(runtime, scratch, { vfs: this.opening.vfs });
          try {
            copy.rekey(next);
          } finally {
            copy.close();
          }
        } finally {
          await store.release(scratch);
        }
      }
    } catch (e) {
      await store.discard(scratch);
      throw e;
    }
    this.connection.close();
    try {
      if (this.acquired) await store.release(this.name);
      await store.replace(scratch, this.name);
    } catch (e) {
      await store.discard(scratch);
      if (this.acquired) await store.acquire(this.name);
      this.reconnect(this.key);
      throw e;
    }
    if (this.acquired) await store.acquire(this.name, { create: false });
    this.reconnect(next);
  }

  /**
   * I/O of this database since it was opened: reads, writes, syncs and truncates with their
   * bytes and milliseconds, its journal included. All zero for memory databases.
   */
  stats(): IoStats {
    const now = this.connection.stats();
    const out = { ...now };
    for (const key of Object.keys(now) as (keyof IoStats)[])
      out[key] = now[key] - this.baseline[key];
    return out;
  }

  get isOpen(): boolean {
    return this.connection.isOpen;
  }

  /**
   * Runs a script of one or more statements. Without options it only runs it; with them, the
   * rows of the script's last statement that returns rows are handed out as rowMode says.
   */
  exec(sql: string, options?: ExecOptions): this | unknown[] {
    const wantsRows =
      !!(options?.callback || options?.resultRows || options?.columnNames) ||
      options?.returnValue === "resultRows";
    const mode = options?.rowMode ?? "array";
    if (mode !== "array" && mode !== "object" && mode !== "value") {
      throw new TypeError('exec: rowMode must be "array", "object" or "value"');
    }
    const bytes = this.raw(sql, options?.bind, wantsRows);
    if (!options) return this;
    const r = mode === "object" ? decodeObjects(bytes) : decodeResult(bytes);
    const rows = mode === "value" ? (r.rows as SqlValue[][]).map((row) => row[0]) : r.rows;
    options.columnNames?.push(...r.columns);
    options.resultRows?.push(...rows);
    if (options.callback) rows.forEach((row, i) => options.callback!(row, i));
    return options.returnValue === "resultRows" ? rows : this;
  }

  /** Prepares one statement (the first of sql). */
  prepare(sql: string): SyncStatement<this> {
    const prepared = this.connection.prepare(sql);
    if (!prepared) throw misuse("prepare: the SQL text holds no statement");
    return new SyncStatement(this, prepared);
  }

  /** The first column of the first row, or undefined when there is no row. */
  selectValue(sql: string, bind?: BindParams): SqlValue | undefined {
    const { rows } = this.select(sql, bind);
    return rows.length ? rows[0][0] : undefined;
  }

  /** The first column of every row. */
  selectValues(sql: string, bind?: BindParams): SqlValue[] {
    return this.select(sql, bind).rows.map((row) => row[0]);
  }

  /** The first row as an object, or undefined. */
  selectObject<T = Row>(sql: string, bind?: BindParams): T | undefined {
    return decodeObjects<T>(this.raw(sql, bind, true)).rows[0];
  }

  /** Every row as an object keyed by column name. */
  selectObjects<T = Row>(sql: string, bind?: BindParams): T[] {
    return decodeObjects<T>(this.raw(sql, bind, true)).rows;
  }

  /** Every row as an array. */
  selectArrays(sql: string, bind?: BindParams): SqlValue[][] {
    return this.select(sql, bind).rows;
  }

  /**
   * Runs a statement (or a script) and returns everything it produced: the rows as arrays with
   * the column names (of the last statement that returns rows), and changes and lastInsertRowid:
   * the shape query builders' drivers build on.
   */
  execute(sql: string, bind?: BindParams): ExecuteResult {
    return decodeExecuteResult(this.raw(sql, bind, true));
  }

  private select(sql: string, bind: BindParams | undefined) {
    return decodeResult(this.raw(sql, bind, true));
  }

  /** Runs sql; the result buffer is a view of wasm memory, valid until the next call. */
  private raw(sql: string, bind: BindParams | undefined, rows: boolean): Uint8Array {
    return this.connection.execRaw(sql, encodeParams(bind ?? null, false), rows, false);
  }

  /**
   * Runs fn(db) in a transaction: COMMIT when it returns, ROLLBACK when it throws. fn must be
   * synchronous (a returned promise is refused and rolled back: the transaction would commit
   * before it settled). Nested calls, and calls inside savepoint(), become savepoints.
   */
  transaction<R>(fn: (db: this) => R, mode: TransactionMode = "deferred"): R {
    return this.transactions.run(() => fn(this), checkMode(mode));
  }

  /** Runs fn(db) inside a savepoint: released when it returns, rolled back when it throws. */
  savepoint<R>(fn: (db: this) => R): R {
    return this.transactions.run(() => fn(this), "deferred", true);
  }

  /**
   * Defines a SQL function written in JavaScript, for this database.
   *
   * Scalar: `createFunction("slug", (s) => s.toLowerCase().replace(/\W+/g, "-"))`.
   * Aggregate: `createFunction("product", { start: () => 1, step: (acc, x) => acc * x })`
   * (`final(acc)` turns the accumulator into the result; default: the accumulator itself).
   * The number of arguments is the function's `length` unless `arity` says (-1: any). The
   * function must not use the database, and runs synchronously inside SQLite. A throw fails the
   * statement with its message.
   */
  createFunction(
    name: string,
    impl: ((...args: SqlValue[]) => unknown) | AggregateFunction,
    options: FunctionOptions = {},
  ): this {
    if (typeof name !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new TypeError("createFunction: name must be a SQL identifier (letters, digits, _)");
    }
    let flags = 0;
    if (options.deterministic) flags |= FunctionFlag.DETERMINISTIC;
    if (options.innocuous) flags |= FunctionFlag.INNOCUOUS;
    if (options.directOnly) flags |= FunctionFlag.DIRECT_ONLY;
    if (typeof impl === "function") {
      const arity = options.arity ?? impl.length;
      this.connection.createFunction(name, arity, flags, (_call, _group, args) => impl(...args));
      return this;
    }
    if (!impl || typeof impl.step !== "function") {
      throw new TypeError(
        "createFunction: pass a function, or { step, final?, start? } for an aggregate",
      );
    }
    const groups = new Map<number, unknown>();
    const start = impl.start ?? (() => null);
    const arity = options.arity ?? Math.max(0, impl.step.length - 1);
    this.connection.createFunction(
      name,
      arity,
      flags | FunctionFlag.AGGREGATE,
      (call, group, args) => {
        if (call === FunctionCall.STEP) {
          const acc = groups.has(group) ? groups.get(group) : start();
          groups.set(group, impl.step(acc, ...args));
          return undefined;
        }
        const acc = groups.has(group) ? groups.get(group) : start();
        groups.delete(group);
        return impl.final ? impl.final(acc) : acc;
      },
    );
    return this;
  }

  /**
   * Brings the database to version migrations.length (PRAGMA user_version): the migrations past
   * its version run in order, in one IMMEDIATE transaction, all or nothing. A failing one rolls
   * them all back and its error names it ("migration 3 ("add_tags"): …"); a database at a higher
   * version than migrations.length is MIGRATION_NEWER. Returns { from, to }.
   */
  migrate(migrations: (string | Migration)[]): MigrationResult {
    return migrate(this, migrationSteps(migrations));
  }

  /**
   * Runs fn(db) in a transaction (as transaction() does) and records what it changes with SQLite's
   * session extension: returns fn's result and the changes as a changeset, to apply to another
   * database (applyChangeset) or undo (invertChangeset). Every table of the main database is
   * recorded; tables without a PRIMARY KEY by rowid.
   */
  recordChanges<R>(fn: (db: this) => R): { result: R; changeset: Uint8Array } {
    return recordChanges(this, () => fn(this));
  }

  /**
   * Applies a changeset, all or nothing; options.onConflict says what a conflicting change does
   * ("abort", the default: nothing is applied and SQLITE_ABORT names the conflict; "omit";
   * "replace"). A table this database lacks is SQLITE_SCHEMA. Returns how many changes met a
   * conflict (omitted or replaced).
   */
  applyChangeset(
    changeset: Uint8Array | ArrayBuffer,
    options?: ApplyOptions,
  ): { conflicts: number } {
    const bytes = changesetBytes("applyChangeset", changeset);
    return applyChangeset(this.connection, bytes, onConflictOf(options));
  }

  /** The changeset that undoes changeset. */
  invertChangeset(changeset: Uint8Array | ArrayBuffer): Uint8Array {
    this.connection.connectionHandle(); // a closed database throws SQLITE_MISUSE
    return invertChangeset(this.connection.runtime, changesetBytes("invertChangeset", changeset));
  }

  /** Rows changed by the last INSERT, UPDATE or DELETE. */
  changes(): number {
    return this.connection.state().changes;
  }

  /** The rowid of the last INSERT (a bigint beyond ±2^53). */
  lastInsertRowid(): number | bigint {
    return this.connection.state().lastInsertRowid;
  }

  /** Closes the database, finalizing its statements; later calls throw. Twice is harmless. */
  close(): void {
    if (!this.connection.isOpen) return;
    this.connection.close();
    if (this.acquired) {
      this.acquired = false;
      void this.environment.stores.get(this.storage).release(this.name);
    }
  }

  /**
   * Resolves once the storage holds every commit made so far. OPFS and files hold a commit when
   * it returns (with durability "full"); IndexedDB stores what a task wrote after the task, and
   * flush() waits for that, and rejects with what IndexedDB said if it failed.
   */
  async flush(): Promise<void> {
    await this.environment.stores.settle(true);
  }

  /** close() that also waits until the store let go of the files (OPFS: another tab may open). */
  async closeAsync(): Promise<void> {
    const acquired = this.acquired;
    this.acquired = false;
    if (this.connection.isOpen) this.connection.close();
    if (acquired) await this.environment.stores.get(this.storage).release(this.name);
  }
}
