/**
 * The options and result types of the Promise API (client/database.ts).
 */
import type { BindParams, Row, SqlValue } from "../codec/params.js";
import type { Key } from "../codec/key.js";
import type { TransactionMode } from "../bindings/transaction.js";
import type { PersistentStorage } from "../runtime/store.js";
import type { Durability, Storage } from "../worker/protocol.js";

export type { Row } from "../codec/params.js";

export interface OpenOptions {
  /**
   * "opfs" (the OPFS file `name`), "idb" (IndexedDB), "file" (Node: the file at path `name`,
   * relative to the working directory) or "memory". Default: in browsers OPFS, or IndexedDB
   * where OPFS cannot open files synchronously (db.storage says which); in Node "file".
   */
  storage?: Storage;
  /**
   * "full" (default): a commit resolves once it is flushed to disk, and survives a browser or OS
   * crash. "relaxed": no flushes; faster, and a crash of the OS (not only the browser) can lose
   * recent commits or damage the database. See docs/API.md.
   */
  durability?: Durability;
  /**
   * Every request on this database rejects with TIMEOUT after this many milliseconds, and a
   * statement still running in the worker is interrupted. A transaction() whose callback holds
   * the database this long without a request in flight is rolled back with TIMEOUT. Default: no
   * limit.
   */
  timeoutMs?: number;
  /**
   * How long SQLite retries when another connection of the worker holds a lock; for a database
   * shared between tabs, also how long a call waits while another tab holds it in a transaction
   * (then SQLITE_BUSY, and the call does not run).
   */
  busyTimeoutMs?: number;
  /** Receives SQLite's log (sqlite3_log) while this database is open. Default: not logged. */
  log?: (code: number, message: string) => void;
  /**
   * The key of an encrypted database: a passphrase (a string, through the cipher's key
   * derivation) or the key itself (32 bytes, a Uint8Array). A new database is created
   * encrypted; a wrong key is WRONG_KEY at open. The first open with a key loads the encryption
   * build (web-sqlite-cipher.wasm) in the worker. docs/API.md, "Encryption".
   */
  key?: Key;
  /**
   * Where the worker finds web-sqlite.wasm (web-sqlite-cipher.wasm, for keys, beside it);
   * another location is another worker.
   */
  wasm?: string | URL;
}

/** What a statement that writes reports. */
export interface RunResult {
  /** Rows inserted, updated or deleted (triggers not counted). */
  changes: number;
  /** The last inserted rowid of the connection; a bigint beyond ±2^53. */
  lastInsertRowid: number | bigint;
}

/** Rows as arrays, with their column names. */
export interface ArrayRows {
  columns: string[];
  rows: SqlValue[][];
}

/** One statement of db.batch(): SQL text, or SQL with its parameters. */
export type BatchStatement = string | [sql: string, params?: BindParams] | BatchObject;
export interface BatchObject {
  sql: string;
  params?: BindParams;
}

/** What each statement of a batch produced. */
export interface BatchResult<T = Row> extends RunResult {
  /** The rows the statement returned (empty for statements without rows). */
  rows: T[];
}

export interface TransactionOptions {
  /** How the outermost transaction begins (BEGIN DEFERRED / IMMEDIATE / EXCLUSIVE). */
  mode?: TransactionMode;
}

export interface IterateOptions {
  /** Rows per round trip to the worker (default 1024). */
  chunkRows?: number;
}

/** Which store importDatabase, deleteDatabase and listDatabases work on. */
export interface StoreOptions extends Pick<OpenOptions, "wasm"> {
  /** "opfs", "idb" or "file"; default: the storage open() uses without one. */
  storage?: PersistentStorage;
}
