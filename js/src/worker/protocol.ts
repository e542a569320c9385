/**
 * The request/response protocol between the main thread and the worker. One map names every
 * request with its arguments and result; both sides are typed from it.
 *
 * Parameters travel encoded (codec/params.ts) and results as the core's raw result buffers: the
 * worker never parses either, and both cross as transferred ArrayBuffers.
 *
 * `deadline` (milliseconds on the Date.now() clock, 0 for none) stops a statement still running
 * then with a TIMEOUT error, so a request that timed out on the main thread does not keep the
 * worker busy.
 */

import type { IoStats, SelfTestReport } from "../bindings/database.js";

export const PROTOCOL_VERSION = 2;

/**
 * Where a database lives: "opfs" (browsers) or "file" (Node) keep it in the environment's
 * persistent store; "memory" keeps it in wasm memory until it is closed.
 */
export type Storage = "opfs" | "file" | "memory";

/** "full": every commit is flushed to disk before it resolves. "relaxed": no flushes. */
export type Durability = "full" | "relaxed";

export interface BatchItem {
  sql: string;
  params: Uint8Array | null;
}

export interface RequestMap {
  open: {
    args: { name: string; storage: Storage; durability: Durability; busyTimeoutMs: number | null };
    result: { db: number; path: string; sqliteVersion: string };
  };
  close: { args: { db: number }; result: null };
  /** Runs a script; the result buffer holds rows when rows is set. */
  exec: {
    args: { db: number; sql: string; params: Uint8Array | null; rows: boolean; deadline: number };
    result: Uint8Array;
  };
  prepare: { args: { db: number; sql: string }; result: { stmt: number; columns: string[] } };
  /** One whole execution of a prepared statement. */
  run: {
    args: { stmt: number; params: Uint8Array; rows: boolean; deadline: number };
    result: Uint8Array;
  };
  /** The first row only: bind, step once, reset. */
  get: { args: { stmt: number; params: Uint8Array; deadline: number }; result: Uint8Array };
  /** Finalizes a prepared statement or an iteration cursor. */
  finalize: { args: { stmt: number }; result: null };
  /**
   * Starts streaming one statement's rows: the first chunk of at most chunkRows rows. cursor is
   * 0 when the chunk was the last (the worker already finalized the statement).
   */
  iterate: {
    args: {
      db: number;
      sql: string;
      params: Uint8Array | null;
      chunkRows: number;
      deadline: number;
    };
    result: { cursor: number; columns: string[]; chunk: Uint8Array };
  };
  /** The next chunk of a cursor; the cursor is finalized after its last chunk. */
  next: {
    args: { cursor: number; chunkRows: number; deadline: number };
    result: { done: boolean; chunk: Uint8Array };
  };
  /** Statements in one transaction (a savepoint inside an open one): all or nothing. */
  batch: {
    args: { db: number; items: BatchItem[]; deadline: number };
    result: Uint8Array[];
  };
  /** The database file's bytes. */
  export: { args: { db: number }; result: Uint8Array };
  /** Replaces (or creates) a database from a file's bytes, after checking them. */
  import: {
    args: { name: string; source: Uint8Array | ReadableStream<Uint8Array>; deadline: number };
    result: { bytes: number };
  };
  delete: { args: { name: string }; result: boolean };
  /** The I/O counters of a database since it was opened. */
  stats: { args: { db: number }; result: IoStats };
  /** The VFS self-test of a storage. */
  selfTest: { args: { storage: Storage }; result: SelfTestReport };
  list: { args: Record<string, never>; result: string[] };
}

export type RequestType = keyof RequestMap;
export type Args<K extends RequestType> = RequestMap[K]["args"];
export type Result<K extends RequestType> = RequestMap[K]["result"];

export interface Request<K extends RequestType = RequestType> {
  v: typeof PROTOCOL_VERSION;
  id: number;
  type: K;
  args: Args<K>;
}

/** An error as it crosses the thread boundary. */
export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  resultCode?: number;
  offset?: number;
  stack?: string;
  /**
   * After the failure the connection is in autocommit mode: if the client had a transaction
   * open, SQLite rolled it back (it does after SQLITE_FULL, IOERR, NOMEM, an interrupt).
   */
  autocommit?: boolean;
}

export type Response =
  | { v: typeof PROTOCOL_VERSION; id: number; ok: true; result: unknown }
  | { v: typeof PROTOCOL_VERSION; id: number; ok: false; error: SerializedError };

/** Messages the worker sends on its own. */
export type WorkerEvent = {
  v: typeof PROTOCOL_VERSION;
  event: "log";
  code: number;
  message: string;
};

/** SQLite's log line as the event a worker posts. */
export function logEvent(code: number, message: string): WorkerEvent {
  return { v: PROTOCOL_VERSION, event: "log", code, message };
}
