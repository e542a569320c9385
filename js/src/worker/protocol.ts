/**
 * The request/response protocol between the main thread and the worker. One map names every
 * request with its arguments and result; both sides are typed from it.
 *
 * Parameters travel encoded (codec/params.ts) and results as the core's raw result buffers: the
 * worker never parses either, and both cross as transferred ArrayBuffers.
 */

export const PROTOCOL_VERSION = 1;

/** Where a database lives: files through the host (node:fs, OPFS) or wasm memory. */
export type Storage = "file" | "memory";

export interface RequestMap {
  open: {
    args: { name: string; storage: Storage; busyTimeoutMs: number | null };
    result: { db: number; path: string; sqliteVersion: string };
  };
  close: { args: { db: number }; result: null };
  /** Runs a script; the result buffer holds rows when rows is set. */
  exec: {
    args: { db: number; sql: string; params: Uint8Array | null; rows: boolean };
    result: Uint8Array;
  };
  prepare: { args: { db: number; sql: string }; result: { stmt: number; columns: string[] } };
  /** One whole execution of a prepared statement. */
  run: { args: { stmt: number; params: Uint8Array; rows: boolean }; result: Uint8Array };
  /** The first row only: bind, step once, reset. */
  get: { args: { stmt: number; params: Uint8Array }; result: Uint8Array };
  finalize: { args: { stmt: number }; result: null };
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
