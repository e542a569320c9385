/**
 * The Promise API of the main thread: open() returns a Database whose calls run in the worker.
 * Parameters are encoded here (so a bad value throws at the call site) and results decoded here.
 *
 * Transactions: while db.transaction(fn) runs, the database belongs to fn's `tx` argument. Calls
 * made directly on `db` in that time reject at once with TRANSACTION_ACTIVE instead of waiting
 * (waiting would deadlock a callback that awaits them). Prepared statements are the exception:
 * a Statement runs on the connection and so joins whatever transaction is open.
 */
import { type BindParams, type SqlValue, encodeParams } from "../codec/params.js";
import {
  type ExecuteResult,
  decodeObjects,
  decodeExecuteResult,
  decodeResult,
} from "../codec/results.js";
import { WebSqliteError, autocommitAfter, misuse } from "../errors.js";
import type { Changes, Durability, Storage } from "../worker/protocol.js";
import type { PersistentStorage } from "../runtime/store.js";
import type { IoStats, SelfTestReport } from "../bindings/sync-database.js";
import { type TransactionMode, checkMode } from "../bindings/transaction.js";
import { baseUrl, compileWasm, defaultWasmUrl, isNode, spawnWorker } from "../platform.js";
import { missingOpfsCapability, opfsUnsupported } from "../runtime/hosts/opfs.js";
import { portOfStream } from "../worker/stream-port.js";
import { Tabs } from "./tabs.js";
import { LiveQuery, type WatchOptions } from "./live-query.js";
import {
  type ApplyOptions,
  type Migration,
  type MigrationResult,
  changesetBytes,
  migrationSteps,
  onConflictOf,
} from "../bindings/changes.js";
import { WorkerClient, callSafely, leftNoTrace } from "./worker-client.js";
import type { Args, RequestType, Result } from "../worker/protocol.js";

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
  /** Where the worker finds web-sqlite.wasm; another location is another worker. */
  wasm?: string | URL;
}

/** What a statement that writes reports. */
export interface RunResult {
  /** Rows inserted, updated or deleted (triggers not counted). */
  changes: number;
  /** The last inserted rowid of the connection; a bigint beyond ±2^53. */
  lastInsertRowid: number | bigint;
}

export type Row = Record<string, SqlValue>;

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

/**
 * The page's workers: one serves every database, per location of the wasm (the option `wasm`;
 * "" for the default): another binary is another worker.
 */
const clients = new Map<string, WorkerClient>();
/** Sharing databases with the other tabs; null where it is not available (and in Node). */
let sharedTabs: Tabs | null | undefined;

function tabs(): Tabs | null {
  if (sharedTabs === undefined) {
    sharedTabs = isNode
      ? null
      : Tabs.create(() => {
          for (const c of clients.values()) {
            const broker = sharedTabs!.workerPort();
            void c.request("join", { broker }, [broker]).catch(() => {});
          }
        });
  }
  return sharedTabs;
}

function client(wasm?: string | URL): WorkerClient {
  const key = wasm?.toString() ?? "";
  let c = clients.get(key);
  if (!c) {
    c = new WorkerClient(spawnWorker, {
      join: () => tabs()?.workerPort() ?? null,
      acks: !isNode,
      wasm: new URL(wasm ?? defaultWasmUrl(), baseUrl()).href,
      compile: compileWasm,
    });
    clients.set(key, c);
  }
  return c;
}

type OpenArgs = Omit<Args<"open">, "shared">;
/** An open's arguments with the storage it opened in. */
type OpenedArgs = OpenArgs & { storage: Storage };

/** The page's numbers for its databases, for the worker's count of who follows a name. */
let nextKey = 1;

const code = (e: unknown) => (e as { code?: unknown } | null)?.code;

/**
 * Opens a database where it lives: in this page's worker, or (OPFS, shared between tabs) at the
 * worker that holds it, whichever tab that is. Routes again when the database moved meanwhile.
 */
async function place(
  own: WorkerClient,
  args: OpenArgs,
  key: number,
): Promise<{ client: WorkerClient; opened: Result<"open"> }> {
  const shared = sharing(args.storage);
  for (;;) {
    let route = own;
    try {
      if (shared) {
        const { holder } = await own.request("follow", { name: args.name, key });
        if (!holder) route = await shared.link(args.name);
      }
      return { client: route, opened: await route.request("open", { ...args, shared: !!shared }) };
    } catch (e) {
      // The holder let the database go or ended while the open was on its way.
      if (route !== own && (code(e) === "NOT_HOLDER" || code(e) === "WORKER_DIED")) continue;
      if (shared) void own.request("unfollow", { name: args.name, key }).catch(() => {});
      throw e;
    }
  }
}

/** DATABASE_MOVED: what was at the holder that ended (a transaction, a cursor) is gone. */
function movedAway(name: string, what = "the open transaction"): WebSqliteError {
  return new WebSqliteError(
    "DATABASE_MOVED",
    `the tab that held '${name}' closed, and ${what} ended with it; the database moved to ` +
      `another tab, where the next call runs`,
  );
}

function transferOf(bytes: Uint8Array | null): ArrayBuffer[] {
  return bytes ? [bytes.buffer as ArrayBuffer] : [];
}

/** Which store importDatabase, deleteDatabase and listDatabases work on. */
export interface StoreOptions extends Pick<OpenOptions, "wasm"> {
  /** "opfs", "idb" or "file"; default: the storage open() uses without one. */
  storage?: PersistentStorage;
}

/** The storage a call asked for (null: the worker's preferred one), checked on the page. */
function storageAsked<S extends Storage>(storage: S | undefined): S | null {
  if (storage === "opfs") checkOpfsOnPage();
  return storage ?? null;
}

/** The other tabs a database in storage is shared with (null: not shared). */
function sharing(storage: Storage | null): Tabs | null {
  return storage !== "memory" ? tabs() : null;
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
  const c = client(options.wasm);
  const started = Date.now();
  const args: OpenArgs = {
    name,
    storage,
    durability: options.durability ?? "full",
    busyTimeoutMs: options.busyTimeoutMs ?? null,
  };
  const key = nextKey++;
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
    sharing(storage) ? { own: c, key, shutdowns } : null,
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
  return client(options.wasm).request(
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
  return client(options.wasm).request("delete", { name, storage });
}

/**
 * The databases of a storage (default: the one open() uses), sorted by name: in OPFS or
 * IndexedDB (browsers), or in the working directory (Node).
 */
export async function listDatabases(options: StoreOptions = {}): Promise<string[]> {
  const storage = storageAsked(options.storage);
  return client(options.wasm).request("list", { storage });
}

/**
 * Checks a storage end to end through its VFS in the worker (open, write, read, sync, size,
 * truncate, locks, delete) with a scratch file; every step is reported with its time.
 */
export async function selfTest(
  storage?: Storage,
  options: Pick<OpenOptions, "wasm"> = {},
): Promise<SelfTestReport> {
  return client(options.wasm).request("selfTest", { storage: storageAsked(storage) });
}

/** shutdown() calls so far. */
let shutdowns = 0;

/**
 * Stops the page's worker (each, if databases were opened with several `wasm` locations). Open
 * databases are closed (those shared with other tabs too: they stay open in the other tabs);
 * the next open() starts a new worker.
 */
export function shutdown(): void {
  shutdowns++;
  for (const c of clients.values()) c.terminate();
  sharedTabs?.disconnect();
}

/** How a database shared between tabs opens again when it moved to another holder. */
interface Sharing {
  own: WorkerClient;
  key: number;
  /** shutdown() calls before the database was opened. */
  shutdowns: number;
}

/** The state one Database and its transactions share. */
class DatabaseCore {
  /** Where the database is open: this page's worker, or the holder's (it may move). */
  client: WorkerClient;
  generation: number;
  id: number;
  /** How many times the database moved to another holder (statements prepare again). */
  moves = 0;
  readonly sharing: Sharing | null;
  private moving: Promise<void> | null = null;
  /** Stops each onChange listener (on close). */
  private readonly watchers = new Set<() => void>();
  readonly args: OpenedArgs;
  readonly name: string;
  readonly storage: Storage;
  readonly timeoutMs: number;
  closed = false;
  /** The transaction that owns the database now; null when calls on db itself may run. */
  owner: Transaction | null = null;
  /** Resolved when the outermost transaction ends (owner back to null); see free(). */
  private freed: { promise: Promise<void>; resolve: () => void } | null = null;
  /** Set when SQLite rolled back the open transaction after an error; cleared when it ends. */
  rolledBack: Error | null = null;
  /** Requests sent and not answered yet, and when the last one was sent or answered. */
  private inFlight = 0;
  private lastActivity = 0;
  private readonly log?: (code: number, message: string) => void;

  constructor(
    client: WorkerClient,
    id: number,
    args: OpenedArgs,
    sharing: Sharing | null,
    timeoutMs: number,
    log?: (code: number, message: string) => void,
  ) {
    this.client = client;
    this.generation = client.generation;
    this.id = id;
    this.args = args;
    this.sharing = sharing;
    this.name = args.name;
    this.storage = args.storage;
    this.timeoutMs = timeoutMs;
    this.log = log;
    if (log) client.logListeners.add(log);
  }

  /**
   * Whether the database follows its holder to another tab's worker. Not after shutdown():
   * then its databases are closed, as in one tab.
   */
  get follows(): boolean {
    return this.sharing !== null && this.sharing.shutdowns === shutdowns;
  }

  /** Open, and reachable: a shared database opens again at its new holder when it moved. */
  get alive(): boolean {
    return !this.closed && (this.follows || !this.moved);
  }

  /** The worker it was open in ended (for a shared database: it moved to another holder). */
  get moved(): boolean {
    return this.generation !== this.client.generation;
  }

  /** Opens the database again at its new holder, once, after it moved. */
  private follow(): Promise<void> {
    if (!this.follows || !this.moved) return Promise.resolve();
    this.moving ??= (async () => {
      try {
        const { client, opened } = await place(this.sharing!.own, this.args, this.sharing!.key);
        this.client = client;
        this.generation = client.generation;
        this.id = opened.db;
        this.moves++;
        if (this.closed) await client.request("close", { db: this.id }).catch(() => {});
      } finally {
        this.moving = null;
      }
    })();
    return this.moving;
  }

  /**
   * Throws unless the database is open and `caller` may use it now. A statement `joins` the
   * connection as it is: it is refused only when the open transaction was rolled back.
   */
  check(caller: Transaction | null, what: string, joins = false): number {
    if (this.closed) throw misuse(`${what}: the database '${this.name}' is closed`);
    if (!this.follows && this.moved) {
      throw new WebSqliteError(
        "WORKER_DIED",
        `${what}: the worker of '${this.name}' stopped since it was opened; open it again`,
      );
    }
    if (joins) {
      if (this.owner && !this.owner.finished && this.rolledBack) {
        throw this.lost(`${what}: the open transaction`, "nothing more runs in it");
      }
      return this.id;
    }
    if (caller?.finished) {
      throw new WebSqliteError(
        "TRANSACTION_ACTIVE",
        `tx.${what}(): this transaction has already ended`,
      );
    }
    if (caller && this.rolledBack) {
      throw this.lost(`tx.${what}(): this transaction`, "nothing more runs in it");
    }
    if (this.owner !== caller) {
      if (caller === null) {
        throw new WebSqliteError(
          "TRANSACTION_ACTIVE",
          `db.${what}() was called while db.transaction() is running on '${this.name}'. ` +
            `Inside the transaction callback, use its tx argument; elsewhere, await the transaction first.`,
        );
      }
      throw new WebSqliteError(
        "TRANSACTION_ACTIVE",
        `tx.${what}(): a nested transaction is running; use the tx of the innermost one`,
      );
    }
    return this.id;
  }

  /** TRANSACTION_ROLLED_BACK: what was lost, and why. */
  lost(what: string, consequence: string): WebSqliteError {
    const cause = this.rolledBack!;
    return new WebSqliteError(
      "TRANSACTION_ROLLED_BACK",
      `${what} was rolled back after an error (${cause.message}); ${consequence}`,
      { cause },
    );
  }

  deadline(): number {
    return this.timeoutMs > 0 ? Date.now() + this.timeoutMs : 0;
  }

  /**
   * Sends a request with the database's timeout (the steps of transaction() go without one:
   * their outcome must never be in doubt). Notes when SQLite rolled back the open transaction.
   */
  async request<K extends RequestType>(
    type: K,
    args: Args<K>,
    transfer: Transferable[] = [],
    control = false,
  ): Promise<Result<K>> {
    this.inFlight++;
    try {
      for (;;) {
        // (No await unless it moved: the request must leave in the same tick as the call.)
        if (this.follows && this.moved) await this.follow();
        const began = this.owner?.began;
        if (began !== undefined && began !== this.moves) {
          // The transaction was at the holder that ended: it ended there, rolled back.
          if (type === "rollback") return null as Result<K>;
          this.rolledBack ??= movedAway(this.name);
          throw this.lost("the transaction", "nothing of it was committed");
        }
        // The database's id at its holder now (it changes when the database moves).
        const sent = "db" in args ? { ...args, db: this.id } : args;
        try {
          // A shared database's parameters are copied, not transferred: a request its holder
          // never began is sent again, to the next holder.
          const moved = this.sharing ? [] : transfer;
          return await this.client.request(type, sent, moved, control ? 0 : this.timeoutMs);
        } catch (e) {
          if (!this.follows || code(e) !== "WORKER_DIED" || !this.moved) throw e;
          // The holder ended before the request committed anything (a read, or a write that
          // had not reached its commit): it left no trace; send it to the new holder. Inside a
          // transaction it is not sent: the transaction ended with the holder (above).
          if (leftNoTrace.has(e as Error)) {
            // A statement or a cursor lives at its holder: the caller prepares it again (a
            // statement) or gives up (a cursor: DATABASE_MOVED).
            if ("stmt" in args || "cursor" in args) throw movedAway(this.name, "the statement");
            continue;
          }
          // It ended while the request was committing: whether that commit got to disk is
          // not known.
          if (this.owner) this.rolledBack ??= e as Error;
          throw this.unknownOutcome(type, e as Error);
        }
      }
    } catch (e) {
      // A transaction() is open (its BEGIN succeeded), yet the connection is in autocommit
      // mode after this error: SQLite rolled the transaction back. After a timeout the state
      // is not known for sure: the transaction is given up as well (and rolled back at its end).
      const lost = autocommitAfter.has(e as Error) || (e as WebSqliteError).code === "TIMEOUT";
      if (this.owner && e instanceof Error && lost) this.rolledBack ??= e;
      throw e;
    } finally {
      this.inFlight--;
      this.lastActivity = Date.now();
    }
  }

  /** Resolves when no transaction of this page owns the database (at once if none does). */
  async free(): Promise<void> {
    while (this.owner) {
      if (!this.freed) {
        let resolve!: () => void;
        const promise = new Promise<void>((r) => (resolve = r));
        this.freed = { promise, resolve };
      }
      await this.freed.promise;
    }
  }

  /** The owner is null again: free() resolves. */
  ownerEnded(): void {
    this.freed?.resolve();
    this.freed = null;
  }

  /** OUTCOME_UNKNOWN: a request that may have changed the database when its holder ended. */
  private unknownOutcome(type: string, cause: Error): WebSqliteError {
    return new WebSqliteError(
      "OUTCOME_UNKNOWN",
      `the tab that held '${this.name}' closed while this ${type} was committing there, so ` +
        `whether its commit reached the disk is not known; the database moved to another tab. ` +
        `Check, then retry if needed`,
      { cause },
    );
  }

  async exec(sql: string, params: Uint8Array | null, rows: boolean): Promise<Uint8Array> {
    const args = { db: this.id, sql, params, rows, deadline: this.deadline() };
    return this.request("exec", args, transferOf(params));
  }

  /**
   * Settles as work does; with a timeoutMs, rejects with TIMEOUT (and sets rolledBack) once the
   * transaction has held the database that long with no request in flight: its callback hangs.
   */
  idleBound<R>(work: Promise<R>): Promise<R> {
    if (this.timeoutMs === 0) return work;
    this.lastActivity = Date.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const idle = new Promise<never>((_, reject) => {
      const check = () => {
        const quiet = Date.now() - this.lastActivity;
        if (this.inFlight > 0 || quiet < this.timeoutMs) {
          timer = setTimeout(check, this.inFlight > 0 ? this.timeoutMs : this.timeoutMs - quiet);
          return;
        }
        const e = new WebSqliteError(
          "TIMEOUT",
          `the transaction callback on '${this.name}' held the database for ${quiet} ms ` +
            `without a request (timeoutMs is ${this.timeoutMs}); it was rolled back. Do not ` +
            `await other work inside db.transaction(), or raise timeoutMs`,
        );
        this.rolledBack ??= e;
        reject(e);
      };
      timer = setTimeout(check, this.timeoutMs);
    });
    return Promise.race([work, idle]).finally(() => clearTimeout(timer));
  }

  /** Calls listener with the tables of each commit that changed this database (onChange). */
  watch(listener: (tables: string[]) => void): () => void {
    const own = (c: Changes) => {
      const same =
        this.storage === "memory"
          ? c.db === this.id
          : c.name === this.name && c.storage === this.storage;
      if (same && !this.closed) callSafely(listener, c.tables);
    };
    const listeners = this.sharing ? tabs()!.changeListeners : this.client.changeListeners;
    listeners.add(own);
    const stop = () => void listeners.delete(own);
    this.watchers.add(stop);
    return stop;
  }

  detach(): void {
    this.closed = true;
    if (this.log) this.client.logListeners.delete(this.log);
    for (const stop of this.watchers) stop();
  }
}

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
abstract class Queryable {
  /** @internal */
  protected readonly core: DatabaseCore;
  /** @internal null for the database itself, the transaction for tx. */
  protected abstract readonly caller: Transaction | null;

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
  async *iterate<T = Row>(
    sql: string,
    params?: BindParams,
    options: IterateOptions = {},
  ): AsyncGenerator<T, void, undefined> {
    const core = this.core;
    const db = core.check(this.caller, "iterate");
    const chunkRows = options.chunkRows ?? 1024;
    if (!Number.isInteger(chunkRows) || chunkRows < 1 || chunkRows > 2 ** 31 - 1) {
      throw new RangeError("iterate: chunkRows must be a whole number of rows from 1 to 2^31 - 1");
    }
    const encoded = encodeParams(params);
    const first = await core.request(
      "iterate",
      { db, sql, params: encoded, chunkRows, deadline: core.deadline() },
      transferOf(encoded),
    );
    let cursor = first.cursor;
    const at = core.moves;
    const fetch = async () => {
      // A cursor lives at its holder: if the database moved, it ended there.
      if (core.moves !== at || (core.follows && core.moved)) {
        cursor = 0;
        throw movedAway(core.name, "the query's cursor");
      }
      return core.request("next", { cursor, chunkRows, deadline: core.deadline() });
    };
    // The next chunk is asked for while this one is consumed.
    let ahead = cursor !== 0 ? fetch() : null;
    // The first chunk carries the column names; the others are decoded with them.
    const decoded = decodeObjects<T>(first.chunk);
    const columns = decoded.columns;
    let rows = decoded.rows;
    try {
      for (;;) {
        yield* rows;
        if (!ahead) return;
        const next = await ahead;
        rows = decodeObjects<T>(next.chunk, columns).rows;
        if (next.done) {
          cursor = 0;
          ahead = null;
        } else {
          ahead = fetch();
        }
      }
    } finally {
      if (cursor !== 0) {
        // Unless the worker said the cursor is done, finalize it (harmless if it already is).
        const last = ahead ? await ahead.catch(() => ({ done: false })) : { done: false };
        if (!last.done && core.alive && core.moves === at && !core.moved) {
          await core.client.request("finalize", { stmt: cursor }).catch(() => {});
        }
      }
    }
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

  /**
   * Runs fn in a transaction: it commits when fn's promise resolves and rolls back when it
   * rejects. Use the tx argument inside fn; tx.transaction() nests with a savepoint. The steps
   * run in the worker's transaction controller (bindings/transaction.ts).
   */
  async transaction<R>(
    fn: (tx: Transaction) => Promise<R> | R,
    options: TransactionOptions = {},
  ): Promise<R> {
    const core = this.core;
    const db = core.check(this.caller, "transaction");
    const mode = checkMode(options.mode ?? "deferred");
    const parent = this.caller;
    const tx = new Transaction(core, parent);
    core.owner = tx; // from here on, calls on the parent are refused
    const end = () => {
      tx.end();
      // The outermost level ends every level inside it, even one whose callback still hangs.
      if (core.owner === tx || !parent) core.owner = parent;
      if (!parent) {
        core.rolledBack = null;
        core.ownerEnded();
      }
    };
    let level: number;
    try {
      ({ level } = await core.request("begin", { db, mode }, [], true));
      if (!parent) tx.beganAt = core.moves;
    } catch (e) {
      end();
      throw e;
    }
    let result: R;
    try {
      const work = (async () => fn(tx))();
      // The outermost level bounds the time the database is held idle; a nested one ends when
      // the level around it does (its callback may hang after the outer one timed out).
      result = await (parent ? Promise.race([work, parent.ended]) : core.idleBound(work));
      if (core.owner !== tx) {
        throw new WebSqliteError(
          "TRANSACTION_ACTIVE",
          "the transaction callback returned while a nested tx.transaction() was still running: " +
            "await it before returning; nothing was committed",
        );
      }
      tx.finished = true;
      if (core.rolledBack) throw core.lost("the transaction", "nothing of it was committed");
      await core.request("commit", { db, level }, [], true);
    } catch (e) {
      tx.finished = true;
      // The worker rolls the level back unless SQLite already did, or the level around this
      // one already ended it; a rollback that fails (ROLLBACK_FAILED) is what the caller needs
      // to know first.
      try {
        if (core.alive && !parent?.finished) {
          const after = e instanceof Error ? e.message : String(e);
          await core.request("rollback", { db, level, after }, [], true);
        }
      } finally {
        end();
      }
      throw e;
    }
    end();
    return result;
  }
}

/** A transaction in progress: the same query methods as Database, inside the transaction. */
export class Transaction extends Queryable {
  /** @internal */
  protected readonly caller: Transaction;
  /** The transaction this one is nested in, or null for the outermost one. */
  private readonly parent: Transaction | null;
  private done = false;
  /** @internal rejects (TRANSACTION_ACTIVE) once this transaction is over: nested ones race it. */
  readonly ended: Promise<never>;
  private rejectEnded!: (e: Error) => void;

  /** @internal use Database.transaction() */
  constructor(core: DatabaseCore, parent: Transaction | null) {
    super(core);
    this.caller = this;
    this.parent = parent;
    this.ended = new Promise<never>((_, reject) => (this.rejectEnded = reject));
    this.ended.catch(() => {});
  }

  /** @internal the database's moves count when the outermost transaction began. */
  beganAt: number | undefined;

  /** @internal see beganAt; undefined until the outermost BEGIN succeeded. */
  get began(): number | undefined {
    return this.parent ? this.parent.began : this.beganAt;
  }

  /** 0 for the outermost transaction. */
  get depth(): number {
    return this.parent ? this.parent.depth + 1 : 0;
  }

  /** @internal it, or a transaction it is nested in, has ended (its callback has returned). */
  get finished(): boolean {
    return this.done || (this.parent?.finished ?? false);
  }

  set finished(value: boolean) {
    this.done = value;
  }

  /** @internal the transaction is over: a nested one still waiting on its callback ends too. */
  end(): void {
    this.done = true;
    this.rejectEnded(
      new WebSqliteError(
        "TRANSACTION_ACTIVE",
        "the enclosing transaction ended (rolled back) while this nested one was still running",
      ),
    );
  }
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
              if (code(e) !== "TRANSACTION_ACTIVE" || !core.owner) throw e;
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

  /** The database file as bytes (for a download or importDatabase). Not inside a transaction. */
  async export(): Promise<Uint8Array> {
    const db = this.core.check(null, "export");
    return this.core.request("export", { db });
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

export class Statement {
  readonly sql: string;
  /** Column names of the statement's result (empty for statements that return no rows). */
  readonly columns: readonly string[];
  private readonly core: DatabaseCore;
  private id: number;
  /** The database's moves count when the statement was prepared where it is. */
  private at: number;
  private finalized = false;

  /** @internal use Database.prepare() */
  constructor(core: DatabaseCore, id: number, sql: string, columns: string[]) {
    this.core = core;
    this.id = id;
    this.at = core.moves;
    this.sql = sql;
    this.columns = columns;
  }

  /** The statement's id at the database's holder: prepared again there after a move. */
  private async here(): Promise<number> {
    const core = this.core;
    while (this.at !== core.moves || (core.follows && core.moved)) {
      // request() follows the move first, so the statement is prepared at the new holder.
      const { stmt } = await core.request("prepare", { db: core.id, sql: this.sql });
      this.id = stmt;
      this.at = core.moves;
    }
    return this.id;
  }

  /**
   * One execution in the worker (with first, up to the first row). Statements are not held
   * back by transactions: they run on the connection as it is.
   */
  private async send(
    what: string,
    params: BindParams | undefined,
    rows: boolean,
    first = false,
  ): Promise<Uint8Array> {
    const core = this.core;
    core.check(null, what, true);
    if (this.finalized) throw misuse(`${what}: the statement is finalized`);
    const encoded = encodeParams(params ?? [])!;
    for (;;) {
      // (No await unless the database moved: the request leaves in the same tick as the call.)
      const here = this.at === core.moves && !(core.follows && core.moved);
      const stmt = here ? this.id : await this.here();
      const args = { stmt, params: encoded, rows, first, deadline: core.deadline() };
      try {
        return await core.request("run", args, [encoded.buffer as ArrayBuffer]);
      } catch (e) {
        // The holder ended before the run left a trace: prepare it at the next one, run it there.
        if (code(e) === "DATABASE_MOVED" && core.follows && core.moved) continue;
        throw e;
      }
    }
  }

  /** Executes the statement once. */
  async run(params?: BindParams): Promise<RunResult> {
    const r = decodeResult(await this.send("run", params, false));
    return { changes: r.changes, lastInsertRowid: r.lastInsertRowid };
  }

  /** Every row, as objects. */
  async all<T = Row>(params?: BindParams): Promise<T[]> {
    return decodeObjects<T>(await this.send("all", params, true)).rows;
  }

  /** The first row, or undefined when there is none. */
  async get<T = Row>(params?: BindParams): Promise<T | undefined> {
    return decodeObjects<T>(await this.send("get", params, true, true)).rows[0];
  }

  /** Releases the statement; finalizing twice is harmless. */
  async finalize(): Promise<void> {
    if (this.finalized) return;
    this.finalized = true;
    const core = this.core;
    if (!core.alive || core.moved || this.at !== core.moves) return;
    await core.client.request("finalize", { stmt: this.id });
  }
}
