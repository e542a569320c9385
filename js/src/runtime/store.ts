/**
 * Where a worker keeps database files: OPFS in a browser, the file system in Node. A store names
 * files, prepares them for the synchronous host-file seam (OPFS handles only open
 * asynchronously), and does the whole-file operations: list, delete, import.
 */
import { SQLiteError, WebSqliteError } from "../errors.js";
import { ResultCode as RC } from "../generated/constants.js";
import type { HostFileSystem } from "./host.js";

/** The files SQLite may keep beside a database, by suffix (removed with it, never a name). */
export const SIDE_FILES = ["-journal", "-wal"] as const;

/** The library's own scratch files (imports in progress, self-tests) start with this; listings skip them. */
export const SCRATCH_PREFIX = ".wsq-";

/**
 * An import writes `.wsq-import-<owner>-<name>` and moves it over the database at the end. The
 * owner says who is writing it (a process id in Node, a Web Lock's token in browsers), so a
 * scratch file whose owner is gone (the import was killed) can be told apart and removed: when
 * the store is listed, a database deleted or imported, and when the database it was for opens.
 */
export function importScratch(owner: string, name: string): string {
  return `${SCRATCH_PREFIX}import-${owner}-${name}`;
}

/** The owner and the database of an import's scratch file; null for any other file. */
export function importScratchOf(file: string): { owner: string; name: string } | null {
  const m = /^\.wsq-import-([0-9a-z]+)-(.*)$/s.exec(file);
  return m && { owner: m[1], name: m[2] };
}

import type { PersistentStorage } from "./storages.js";

export type { PersistentStorage } from "./storages.js";

export interface DatabaseStore {
  /** The storage option that means this store. */
  readonly kind: PersistentStorage;
  /** The host the wasm core's "wsq-host" VFS calls. */
  readonly host: HostFileSystem;
  /** Checks a database name and returns the path the host opens for it. */
  path(name: string): string;
  /** Whether the host opens path (a file of a database acquired here). */
  holds(path: string): boolean;
  /**
   * Makes the database and its side files openable by the host. Counted: every acquire is
   * matched by a release. Throws DATABASE_IN_USE when another tab or worker holds the file.
   */
  acquire(name: string, options?: { create?: boolean }): Promise<void>;
  release(name: string): Promise<void>;
  /**
   * For a store that saves after the fact (IndexedDB), called after each request: a promise of
   * the save a durable commit waits for, or null when there is none to wait for; with all, of
   * the save of every change so far.
   */
  settle?(all?: boolean): Promise<void> | null;
  /** Whether this worker holds the database open. */
  isAcquired(name: string): boolean;
  /** The names of the databases in the store (and scratch files of killed imports removed). */
  list(): Promise<string[]>;
  /** Removes a database and its side files; false when there was none. */
  remove(name: string): Promise<boolean>;
  /** Writes chunks to a new scratch file beside name; returns the scratch file's name. */
  writeScratch(name: string, chunks: AsyncIterable<Uint8Array>): Promise<string>;
  /** Replaces name (and drops its side files) with the scratch file. */
  replace(scratch: string, name: string): Promise<void>;
  /** Removes a scratch file; missing is fine. */
  discard(scratch: string): Promise<void>;
  /** The host path of a scratch file of the library's own (listings skip it). */
  scratch(base: string): string;
}

/**
 * The rules of a database name in browsers, the same in every storage (so a name that works in
 * OPFS works in IndexedDB): not empty, no / or \\, no control characters, not a scratch file's
 * prefix, at most 200 characters, not a side file's name.
 */
export function checkBrowserName(name: string): string {
  if (typeof name !== "string" || name.length === 0) throw invalidName(name, "it is empty");
  if (name === "." || name === "..") throw invalidName(name, "it is a directory name");
  if (/[/\\]/.test(name)) throw invalidName(name, "database names cannot contain / or \\");
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) {
    throw invalidName(name, "it contains control characters");
  }
  if (name.startsWith(SCRATCH_PREFIX)) {
    throw invalidName(name, `the prefix "${SCRATCH_PREFIX}" is reserved for scratch files`);
  }
  if (name.length > 200) throw invalidName(name, "it is longer than 200 characters");
  checkNotSideFile(name);
  return name;
}

/** Rejects names that SQLite would take for the side file of another database. */
export function checkNotSideFile(name: string): void {
  const suffix = SIDE_FILES.find((s) => name.endsWith(s));
  if (suffix) throw invalidName(name, `names ending in "${suffix}" are SQLite's own side files`);
}

export function invalidName(name: string, why: string): WebSqliteError {
  return new WebSqliteError(
    "INVALID_NAME",
    `invalid database name ${JSON.stringify(name)}: ${why}`,
  );
}

/** DATABASE_IN_USE; holder says who holds it and what to do (by default: another tab). */
export function inUse(
  name: string,
  holder = "by another tab or worker of this site. Close it there first: a database is open " +
    "in one tab at a time",
): WebSqliteError {
  return new WebSqliteError("DATABASE_IN_USE", `the database '${name}' is in use ${holder}.`);
}

/** SQLITE_CANTOPEN for a database opened without mode "create" that does not exist. */
export function notFound(name: string): SQLiteError {
  return new SQLiteError(
    RC.SQLITE_CANTOPEN,
    `unable to open database file: '${name}' does not exist (open it with mode "create")`,
  );
}

/**
 * Runs attempt until it does not fail with DATABASE_IN_USE, for ms at most: a page that just
 * reloaded, or a worker just terminated, lets go of a database a moment late (seconds, when it
 * was busy). Then the last DATABASE_IN_USE stands.
 */
export async function retryWhileInUse<T>(ms: number, attempt: () => Promise<T>): Promise<T> {
  const giveUp = Date.now() + ms;
  for (let wait = 20; ; wait = Math.min(wait * 2, 250)) {
    try {
      return await attempt();
    } catch (e) {
      if (!(e instanceof WebSqliteError) || e.code !== "DATABASE_IN_USE") throw e;
      if (Date.now() + wait > giveUp) throw e;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

export function openHere(name: string, what: string): WebSqliteError {
  return new WebSqliteError(
    "DATABASE_OPEN",
    `cannot ${what} '${name}' while it is open; close every Database of it first`,
  );
}

/**
 * Reads a stream of byte chunks (what importDatabase accepts) as an async iterable. A stream
 * that stalls past deadline (Date.now() clock, 0 for none) is cancelled with TIMEOUT, so it
 * cannot hold up the worker.
 */
export async function* chunksOf(
  source: Uint8Array | ReadableStream<Uint8Array>,
  deadline = 0,
): AsyncIterable<Uint8Array> {
  if (source instanceof Uint8Array) {
    yield source;
    return;
  }
  const reader = source.getReader();
  const timeout = () =>
    new WebSqliteError("TIMEOUT", "importDatabase: the stream did not end within timeoutMs");
  try {
    for (;;) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const read =
        deadline > 0
          ? Promise.race([
              reader.read(),
              new Promise<never>((_, reject) => {
                timer = setTimeout(() => reject(timeout()), Math.max(0, deadline - Date.now()));
              }),
            ])
          : reader.read();
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await read;
      } catch (e) {
        await reader.cancel().catch(() => {});
        throw e;
      } finally {
        clearTimeout(timer);
      }
      const { done, value } = result;
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
