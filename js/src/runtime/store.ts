/**
 * Where a worker keeps database files: OPFS in a browser, the file system in Node. A store names
 * files, prepares them for the synchronous host-file seam (OPFS handles only open
 * asynchronously), and does the whole-file operations: list, delete, import.
 */
import { SQLiteError, WebSqliteError } from "../errors.js";
import { ResultCode as RC } from "../generated/constants.js";
import type { HostFileSystem } from "./host.js";
import type { PersistentStorage } from "./storages.js";

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

/** A random token (base 36): the owner of a scratch file written in a browser. */
export function randomToken(): string {
  return crypto.getRandomValues(new Uint32Array(1))[0].toString(36);
}

/** A database's files: the database, then the side files SQLite may keep beside it. */
export function filesOf(name: string): string[] {
  return [name, ...SIDE_FILES.map((s) => name + s)];
}

/** Whether a file in a store is a database (not a side file, not a scratch file). */
export function isDatabaseFile(file: string): boolean {
  return !file.startsWith(SCRATCH_PREFIX) && !SIDE_FILES.some((s) => file.endsWith(s));
}

export type { PersistentStorage } from "./storages.js";

export interface DatabaseStore {
  /** The storage option that means this store. */
  readonly kind: PersistentStorage;
  /** The host the wasm core's "wsq-host" VFS calls. */
  readonly host: HostFileSystem;
  /** Checks a database name and returns the path the host opens for it. */
  path(name: string): string;
  /**
   * Why this store cannot keep databases here after all (a check that must open something),
   * or null: asked before it becomes the default store. None: it can.
   */
  unusable?(): Promise<string | null>;
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

/** Options every store takes. */
export interface StoreOptions {
  /**
   * How long a database another tab or worker holds is retried before DATABASE_IN_USE: a page
   * that just reloaded or a worker that was just terminated lets go late (up to seconds when it
   * was busy).
   */
  contentionMs?: number;
}

/** A database acquired in a store: how many acquires hold it, and what opening its files made. */
export interface Held<Files> {
  refs: number;
  files: Files;
}

/**
 * What every store does the same way: acquires counted per database (one open of its files for
 * any number of connections, concurrent acquires waiting for the one open, a conflict retried
 * for contentionMs), refusing to remove an open database, and sweeping the scratch files of
 * imports whose writer is gone (when the store is listed, a database removed or imported, and
 * when the database they were for opens). A store says how its files open and close, what it
 * lists, and how it tells an abandoned scratch file.
 */
export abstract class BaseStore<Files> implements DatabaseStore {
  abstract readonly kind: PersistentStorage;
  abstract readonly host: HostFileSystem;
  /** The databases acquired here, by key(name). */
  protected readonly held = new Map<string, Held<Files>>();
  private readonly opening = new Map<string, Promise<void>>();
  protected readonly contentionMs: number;

  constructor(options: StoreOptions = {}, defaultContentionMs = 400) {
    this.contentionMs = options.contentionMs ?? defaultContentionMs;
  }

  abstract path(name: string): string;
  abstract holds(path: string): boolean;
  abstract writeScratch(name: string, chunks: AsyncIterable<Uint8Array>): Promise<string>;
  abstract replace(scratch: string, name: string): Promise<void>;
  abstract discard(scratch: string): Promise<void>;

  /**
   * Opens the files of a database no acquire here holds (path(name) checked it); with create
   * false, one that does not exist is SQLITE_CANTOPEN. DATABASE_IN_USE when another tab,
   * worker or process holds it (retried for contentionMs).
   */
  protected abstract open(name: string, create: boolean): Promise<Files>;
  /** Closes the files of a database the last acquire released (no longer in held). */
  protected abstract close(name: string, files: Files): Promise<void>;
  /** Removes a database that is not open here and its side files; false when there was none. */
  protected abstract removeFiles(name: string): Promise<boolean>;
  /** The databases in the store, in any order (after the sweep). */
  protected abstract databases(): Promise<string[]>;
  /** The files in the directory of a database (dirOf), scratch files included. */
  protected abstract filesIn(dir: string): Promise<string[]>;
  /** Removes the scratch file of an import if its owner (importScratchOf) is gone. */
  protected abstract removeIfAbandoned(dir: string, file: string, owner: string): Promise<void>;

  /** The key of a database in held (a name, or in Node its absolute path). */
  protected key(name: string): string {
    return name;
  }

  /**
   * The directory of a database, or without one the store's own, as filesIn takes it ("" in a
   * store of one directory).
   */
  protected dirOf(_name?: string): string {
    return "";
  }

  isAcquired(name: string): boolean {
    return this.held.has(this.key(name));
  }

  async acquire(name: string, options: { create?: boolean } = {}): Promise<void> {
    const key = this.key(name);
    for (;;) {
      const held = this.held.get(key);
      if (held) {
        held.refs++;
        return;
      }
      const pending = this.opening.get(key);
      if (!pending) break;
      await pending.catch(() => {});
    }
    const opening = retryWhileInUse(this.contentionMs, () =>
      this.open(name, options.create ?? true),
    ).then((files) => void this.held.set(key, { refs: 1, files }));
    this.opening.set(key, opening);
    try {
      await opening;
    } finally {
      this.opening.delete(key);
    }
  }

  async release(name: string): Promise<void> {
    const key = this.key(name);
    const held = this.held.get(key);
    if (!held || --held.refs > 0) return;
    await this.released(name, held);
  }

  /** The last acquire of a database was released: by default, its files close now. */
  protected async released(name: string, held: Held<Files>): Promise<void> {
    this.held.delete(this.key(name));
    await this.close(name, held.files);
  }

  async list(): Promise<string[]> {
    await this.sweep(this.dirOf());
    return (await this.databases()).sort();
  }

  async remove(name: string): Promise<boolean> {
    this.path(name);
    if (this.isAcquired(name)) throw openHere(name, "delete");
    await this.sweep(this.dirOf(name));
    return this.removeFiles(name);
  }

  scratch(base: string): string {
    return SCRATCH_PREFIX + base;
  }

  /**
   * Removes the scratch files of imports that no tab, worker or process is writing any more: a
   * writer killed during an import leaves one, as large as what it had written. With only,
   * those of that database alone.
   */
  protected async sweep(dir: string, only?: string): Promise<void> {
    for (const file of await this.filesIn(dir)) {
      const scratch = importScratchOf(file);
      if (scratch && (only === undefined || scratch.name === only)) {
        await this.removeIfAbandoned(dir, file, scratch.owner);
      }
    }
  }
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
