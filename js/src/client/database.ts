/**
 * The Promise API of the main thread: open() returns a Database whose calls run in the worker
 * (or, for a database shared between tabs, at the worker of the tab that holds it: routing.ts,
 * core.ts). Its query methods are queryable.ts's, its transactions transaction.ts's, its
 * prepared statements statement.ts's, its streamed queries cursor.ts's.
 */
import { type Sync, type SyncOptions, startSync } from "./pg-sync.js";
import type { BindParams, Row } from "../codec/params.js";
import { type Key, checkKey } from "../codec/key.js";
import type { IoStats, SelfTestReport } from "../bindings/sync-database.js";
import {
  type Migration,
  type MigrationResult,
  changesetBytes,
  migrationSteps,
} from "../bindings/changes.js";
import { WebSqliteError, misuse } from "../errors.js";
import { isNode } from "../platform.js";
import { missingOpfsCapability, opfsUnsupported } from "../runtime/hosts/opfs.js";
import type { Storage } from "../worker/protocol.js";
import { portOfStream } from "../worker/stream-port.js";
import { DatabaseCore } from "./core.js";
import { LiveQuery, type WatchOptions } from "./live-query.js";
import type { OpenOptions, StoreOptions, TransactionOptions } from "./options.js";
import { Queryable } from "./queryable.js";
import {
  type OpenArgs,
  errorCode,
  newKey,
  place,
  sharing,
  shutdowns,
  workerOf,
} from "./routing.js";
import { Transaction, runTransaction } from "./transaction.js";

export { shutdown } from "./routing.js";
export { Statement } from "./statement.js";
export { Transaction } from "./transaction.js";

/** The storage a call asked for (null: the worker's preferred one), checked on the page. */
function storageAsked<S extends Storage>(storage: S | undefined): S | null {
  if (storage === "opfs") checkOpfsOnPage();
  return storage ?? null;
}

/** The reason the page cannot use OPFS, checked before a worker is started. */
function checkOpfsOnPage(): void {
  if (isNode) return;
  const missing = missingOpfsCapability(false);
  if (missing) throw opfsUnsupported(missing);
}

function checkTimeout(timeoutMs: unknown): number {
  if (timeoutMs === undefined) return 0;
  if (typeof timeoutMs !== "number" || !(timeoutMs >= 0 && timeoutMs <= 2 ** 31 - 1)) {
    throw new RangeError("timeoutMs must be a number of milliseconds from 0 (none) to 2^31 - 1");
  }
  return timeoutMs;
}

function checkName(what: string, name: unknown): asserts name is string {
  if (typeof name !== "string" || name.length === 0) {
    throw new TypeError(`${what}: name must be a non-empty string`);
  }
}

/**
 * Resolves with what stands first after the given milliseconds (0: no limit), else rejects with
 * TIMEOUT; late is called with what came too late (to close a database nobody holds).
 */
async function within<T>(
  work: Promise<T>,
  timeoutMs: number,
  timeout: () => string,
  late: (value: T) => void = () => {},
): Promise<T> {
  if (timeoutMs === 0) return work;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let expired = false;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      expired = true;
      reject(new WebSqliteError("TIMEOUT", timeout()));
    }, timeoutMs);
  });
  work.then((value) => expired && late(value)).catch(() => {});
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/** Opens (creating if needed) a database. One worker serves every database of the page. */
export async function open(name: string, options: OpenOptions = {}): Promise<Database> {
  checkName("open(name)", name);
  // null: the worker's preferred persistent storage (the answer says which).
  const storage = storageAsked(options.storage);
  const timeoutMs = checkTimeout(options.timeoutMs);
  const c = workerOf(options.wasm);
  const started = Date.now();
  const args: OpenArgs = {
    name,
    storage,
    durability: options.durability ?? "full",
    busyTimeoutMs: options.busyTimeoutMs ?? null,
    key: checkKey(options.key),
  };
  const key = newKey();
  // Start-up (the worker, web-sqlite.wasm) counts against timeoutMs too; a timeout says which
  // part was slow.
  let loaded = false;
  const opening = c.load().then(() => {
    loaded = true;
    return place(c, args, key);
  });
  const result = await within(
    opening,
    timeoutMs,
    () =>
      `open('${name}') did not finish within ${timeoutMs} ms: ` +
      (loaded
        ? `the worker was up (it started in ${c.startedInMs} ms) but opening the database took ` +
          `longer (another request on the worker, or a busy disk)`
        : `the worker was still starting (loading web-sqlite.wasm, ${Date.now() - started} ms ` +
          `so far); the first open() of a page counts start-up against timeoutMs`),
    // If the worker opens it after all, close it: nobody holds a Database for it.
    ({ client, opened }) => {
      void client.request("close", { db: opened.db }).catch(() => {});
      if (sharing(storage)) void c.request("unfollow", { name, key }).catch(() => {});
    },
  );
  const core = new DatabaseCore(
    result.client,
    result.opened.db,
    // A database that moves to another holder opens there in the same storage.
    { ...args, storage: result.opened.storage },
    sharing(storage) ? { own: c, key, shutdowns: shutdowns() } : null,
    timeoutMs,
    options.log,
  );
  return new Database(core, result.opened.path, result.opened.sqliteVersion);
}

/**
 * Writes a database file (bytes or a stream of them) as the database `name`, replacing any
 * database of that name. The bytes are checked first (SQLite header, quick_check): bad input is
 * rejected and the existing database is left untouched. `name` must not be open.
 */
export async function importDatabase(
  name: string,
  source: Uint8Array | ArrayBuffer | ReadableStream<Uint8Array>,
  options: StoreOptions & Pick<OpenOptions, "timeoutMs"> = {},
): Promise<{ bytes: number }> {
  checkName("importDatabase(name)", name);
  // A stream stays here and is served to the worker over a port (stream-port.ts).
  let bytes: Uint8Array | MessagePort;
  if (source instanceof ArrayBuffer) bytes = new Uint8Array(source.slice(0));
  else if (source instanceof Uint8Array) bytes = source.slice();
  else if (typeof ReadableStream !== "undefined" && source instanceof ReadableStream) {
    bytes = portOfStream(source);
  } else {
    throw new TypeError(
      "importDatabase: source must be a Uint8Array, ArrayBuffer or ReadableStream",
    );
  }
  const storage = storageAsked(options.storage);
  const timeoutMs = checkTimeout(options.timeoutMs);
  const transfer = bytes instanceof Uint8Array ? [bytes.buffer as ArrayBuffer] : [bytes];
  return workerOf(options.wasm).request(
    "import",
    { name, storage, source: bytes, deadline: timeoutMs > 0 ? Date.now() + timeoutMs : 0 },
    transfer as Transferable[],
    timeoutMs,
  );
}

/** Deletes a database and its journal. Resolves false when there was none; rejects while it is open. */
export async function deleteDatabase(name: string, options: StoreOptions = {}): Promise<boolean> {
  checkName("deleteDatabase(name)", name);
  const storage = storageAsked(options.storage);
  return workerOf(options.wasm).request("delete", { name, storage });
}

/**
 * The databases of a storage (default: the one open() uses), sorted by name: in OPFS or
 * IndexedDB (browsers), or in the working directory (Node).
 */
export async function listDatabases(options: StoreOptions = {}): Promise<string[]> {
  const storage = storageAsked(options.storage);
  return workerOf(options.wasm).request("list", { storage });
}

/**
 * Checks a storage end to end through its VFS in the worker (open, write, read, sync, size,
 * truncate, locks, delete) with a scratch file; every step is reported with its time.
 */
export async function selfTest(
  storage?: Storage,
  options: Pick<OpenOptions, "wasm"> = {},
): Promise<SelfTestReport> {
  return workerOf(options.wasm).request("selfTest", { storage: storageAsked(storage) });
}

export class Database extends Queryable {
  /** @internal */
  protected readonly caller = null;
  /** The path the host opened (Node: absolute), or the name for OPFS and memory databases. */
  readonly path: string;
  readonly sqliteVersion: string;

  /** @internal use open() */
  constructor(core: DatabaseCore, path: string, sqliteVersion: string) {
    super(core);
    this.path = path;
    this.sqliteVersion = sqliteVersion;
  }

  /**
   * Runs fn in a transaction: it commits when fn's promise resolves and rolls back when it
   * rejects. Use the tx argument inside fn; tx.transaction() nests with a savepoint. The steps
   * run in the worker's transaction controller (bindings/transaction.ts).
   */
  transaction<R>(
    fn: (tx: Transaction) => Promise<R> | R,
    options: TransactionOptions = {},
  ): Promise<R> {
    return runTransaction(this.core, null, fn, options);
  }

  get name(): string {
    return this.core.name;
  }

  get storage(): Storage {
    return this.core.storage;
  }

  /**
   * Calls listener with the names of the tables a commit changed, after each commit that
   * changed this database, made through any Database of it: in this page or, for a database
   * shared between tabs, in any tab. A listener may hear of a table whose change a savepoint
   * undid, never miss one. Returns the function that stops it; close() stops them all.
   */
  onChange(listener: (tables: string[]) => void): () => void {
    if (typeof listener !== "function") {
      throw new TypeError("onChange: listener must be a function");
    }
    if (this.core.closed) throw misuse(`onChange: the database '${this.name}' is closed`);
    return this.core.watch(listener);
  }

  /**
   * A live query: calls onRows with the rows of sql now, and again after every commit that
   * changed a table it reads, made through any Database of it (in any tab, for a database shared
   * between tabs). Which tables it reads comes from SQLite; commits that come while it runs make
   * one more run. Resolves, after the first onRows, with the function that stops it (close()
   * does too); rejects if the first run fails.
   */
  async watch<T = Row>(
    sql: string,
    params: BindParams | undefined,
    onRows: (rows: T[]) => void,
    options: WatchOptions = {},
  ): Promise<() => void> {
    if (typeof onRows !== "function") throw new TypeError("watch: onRows must be a function");
    const core = this.core;
    const db = core.check(null, "watch");
    const reads = await core.request("tablesRead", { db, sql });
    const live = new LiveQuery<T>(
      {
        run: async () => {
          for (;;) {
            // While a transaction of this page holds the database, its commit is what counts.
            await core.free();
            try {
              return await this.query<T>(sql, params);
            } catch (e) {
              // One began between the wait and the query: wait for it too.
              if (errorCode(e) !== "TRANSACTION_ACTIVE" || !core.owner) throw e;
            }
          }
        },
        onChange: (listener) => this.onChange(listener),
        get isOpen() {
          return !core.closed;
        },
      },
      reads,
      onRows,
      options,
    );
    await live.start();
    return () => live.stop();
  }

  /**
   * Brings the database to version migrations.length (PRAGMA user_version): the migrations past
   * its version run in order, in one IMMEDIATE transaction in the worker, all or nothing, so
   * they run once even when several tabs start together. A failing one rolls them all back
   * and its error names it ("migration 3 ("add_tags"): …"); a database at a higher version is
   * MIGRATION_NEWER. Resolves with { from, to }.
   */
  async migrate(migrations: (string | Migration)[]): Promise<MigrationResult> {
    const db = this.core.check(null, "migrate");
    return this.core.request("migrate", { db, steps: migrationSteps(migrations) });
  }

  /**
   * Runs fn in a transaction (as transaction() does) and records what it changes with SQLite's
   * session extension: resolves with fn's result and the changes as a changeset, to apply to
   * another database (applyChangeset: here, in another tab, or in Node) or to undo
   * (invertChangeset). Every table of the main database is recorded; tables without a PRIMARY
   * KEY by rowid.
   */
  async recordChanges<R>(
    fn: (tx: Transaction) => Promise<R> | R,
    options: TransactionOptions = {},
  ): Promise<{ result: R; changeset: Uint8Array }> {
    const core = this.core;
    return this.transaction(async (tx) => {
      const { session } = await core.request("record", { db: core.id });
      let changeset: Uint8Array | null = null;
      try {
        const result = await fn(tx);
        // Taken before the commit: no other connection's later writes mix in.
        changeset = await core.request("changeset", { db: core.id, session });
        return { result, changeset };
      } finally {
        if (changeset === null && core.alive) {
          void core.request("changeset", { db: core.id, session }).catch(() => {});
        }
      }
    }, options);
  }

  /** The changeset that undoes changeset. */
  async invertChangeset(changeset: Uint8Array | ArrayBuffer): Promise<Uint8Array> {
    this.core.check(null, "invertChangeset", true);
    const bytes = changesetBytes("invertChangeset", changeset).slice(); // (transferred)
    return this.core.request("invertChangeset", { changeset: bytes }, [
      bytes.buffer as ArrayBuffer,
    ]);
  }

  /**
   * Whether the database is shared between tabs (OPFS or IndexedDB, where SharedWorker and Web
   * Locks exist): every tab may open it. False: one tab at a time (a second gets
   * DATABASE_IN_USE).
   */
  get shared(): boolean {
    return this.core.sharing !== null;
  }

  /** False after close(), or once the worker stopped. */
  get isOpen(): boolean {
    return this.core.alive;
  }

  /**
   * I/O of this database since it was opened (reads, writes, syncs, truncates: counts, bytes,
   * milliseconds; the journal included). All zero for memory databases.
   */
  async stats(): Promise<IoStats> {
    const db = this.core.check(null, "stats", true);
    return this.core.request("stats", { db });
  }

  /**
   * Changes the key of the database: a key encrypts a database that is not encrypted or
   * replaces its key; null decrypts it. One transaction: a crash leaves the old or the new, each
   * readable with its key. The database must be open once only (no other tab, no statement of
   * this page's). Later opens need the new key. docs/API.md, "Encryption".
   */
  async rekey(key: Key | null): Promise<void> {
    const k = checkKey(key, "rekey's key");
    const db = this.core.check(null, "rekey");
    await this.core.request("rekey", { db, key: k });
  }

  /** The database file as bytes (for a download or importDatabase). Not inside a transaction. */
  async export(): Promise<Uint8Array> {
    const db = this.core.check(null, "export");
    return this.core.request("export", { db });
  }

  /**
   * Keeps this database in step with PostgreSQL through a sync server (web-sqlite/server):
   * local writes to the tables go up in order, once each; everyone else's changes come down.
   * One sync runs per database, in the tab that holds it, however many pages call this.
   * docs/API.md "Sync with PostgreSQL".
   */
  sync(options: SyncOptions): Promise<Sync> {
    return startSync(this.core, options);
  }

  /** Closes the database and its statements. Later calls reject; closing twice is harmless. */
  async close(): Promise<void> {
    const core = this.core;
    if (core.closed) return;
    const reachable = core.alive && !core.moved;
    core.detach();
    try {
      if (reachable) await core.client.request("close", { db: core.id });
    } finally {
      const sharing = core.sharing;
      if (sharing) {
        await sharing.own
          .request("unfollow", { name: core.name, key: sharing.key })
          .catch(() => {});
      }
    }
  }
}
