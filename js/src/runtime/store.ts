/**
 * Where a worker keeps database files: OPFS in a browser, the file system in Node. A store names
 * files, prepares them for the synchronous host-file seam (OPFS handles only open
 * asynchronously), and does the whole-file operations: list, delete, import.
 */
import { WebSqliteError } from "../errors.js";
import type { HostFileSystem } from "./host.js";

/** The files SQLite keeps beside a database, by suffix. */
export const SIDE_FILES = ["-journal", "-wal"] as const;

/** Scratch files of an import in progress start with this; listings skip them. */
export const SCRATCH_PREFIX = ".wsq-import-";

export interface DatabaseStore {
  /** The storage option that means this store: "opfs" in browsers, "file" in Node. */
  readonly kind: "opfs" | "file";
  /** The host the wasm core's "wsq-host" VFS calls. */
  readonly host: HostFileSystem;
  /** Checks a database name and returns the path the host opens for it. */
  path(name: string): string;
  /**
   * Makes the database and its side files openable by the host. Counted: every acquire is
   * matched by a release. Throws DATABASE_IN_USE when another tab or worker holds the file.
   */
  acquire(name: string): Promise<void>;
  release(name: string): Promise<void>;
  /** Whether this worker holds the database open. */
  isAcquired(name: string): boolean;
  /** The names of the databases in the store. */
  list(): Promise<string[]>;
  /** Removes a database and its side files; false when there was none. */
  remove(name: string): Promise<boolean>;
  /** Writes chunks to a new scratch file beside name; returns the scratch file's name. */
  writeScratch(name: string, chunks: AsyncIterable<Uint8Array>): Promise<string>;
  /** Replaces name (and drops its side files) with the scratch file. */
  replace(scratch: string, name: string): Promise<void>;
  /** Removes a scratch file; missing is fine. */
  discard(scratch: string): Promise<void>;
}

export function invalidName(name: string, why: string): WebSqliteError {
  return new WebSqliteError(
    "INVALID_NAME",
    `invalid database name ${JSON.stringify(name)}: ${why}`,
  );
}

export function inUse(name: string): WebSqliteError {
  return new WebSqliteError(
    "DATABASE_IN_USE",
    `the database '${name}' is in use by another tab or worker of this site. ` +
      `Close it there first: a database is open in one tab at a time.`,
  );
}

export function openHere(name: string, what: string): WebSqliteError {
  return new WebSqliteError(
    "DATABASE_OPEN",
    `cannot ${what} '${name}' while it is open; close every Database of it first`,
  );
}

/** Reads a stream of byte chunks (what importDatabase accepts) as an async iterable. */
export async function* chunksOf(
  source: Uint8Array | ReadableStream<Uint8Array>,
): AsyncIterable<Uint8Array> {
  if (source instanceof Uint8Array) {
    yield source;
    return;
  }
  const reader = source.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      if (!(value instanceof Uint8Array)) {
        throw new TypeError("importDatabase: the stream must yield Uint8Array chunks");
      }
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}
