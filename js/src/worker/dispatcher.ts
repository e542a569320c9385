/**
 * The worker's message loop, independent of the kind of worker: validates each request against
 * its definition (requests.ts), runs its handler on the synchronous bindings, and answers with a
 * response whose buffers are listed for transfer. The dispatcher also holds what the handlers
 * share: the runtime, the open databases and statements.
 *
 * Clients: the worker's own page, and other pages (tabs) that reach a database this worker
 * holds (election.ts). Each client's requests run in its order. A database held by one client
 * (a transaction is open on its connection, or a cursor is streaming) is held for that client
 * alone: another client's requests on it wait, parked, until it is released, and the requests
 * of other databases and clients go on meanwhile. Within one client, connections meet SQLite's
 * own locks, as in one page.
 */
import { isPersistent } from "../runtime/storages.js";
import type { Connection, PreparedStatement } from "../bindings/connection.js";
import type { SyncDatabase } from "../bindings/sync-database.js";
import type { TransactionController } from "../bindings/transaction.js";
import { SQLiteError, WebSqliteError, carryAutocommit, misuse } from "../errors.js";
import { ConnFlag, ResultCode as RC } from "../generated/constants.js";
import type { HostFileSystem } from "../runtime/host.js";
import type { Runtime } from "../runtime/runtime.js";
import { Runtimes } from "../runtime/runtimes.js";
import type { Environment } from "../bindings/environment.js";
import type { Election } from "./election.js";
import type { Stores } from "../runtime/stores.js";
import {
  BadRequest,
  type Changes,
  type FeedMessage,
  PROTOCOL_VERSION,
  type SyncNotice,
  type Storage,
  type Response,
  serializeError,
  isObject,
} from "./protocol.js";
import { type Declaration, REQUESTS, type RequestType, type Transfer } from "./requests.js";

/** What the worker does for each request (handlers.ts). */
export type HandlerTable = Record<RequestType, (worker: Dispatcher, args: never) => unknown>;

export interface DispatcherOptions {
  /** The handlers of the requests (handlers.ts). */
  handlers: HandlerTable;
  /**
   * Loads a runtime over host, the encryption build with cipher (runtimes.ts); called on the
   * first open (with a key: the first open with one), and again after an instance died.
   */
  load: (host: HostFileSystem, cipher: boolean) => Promise<Runtime>;
  /** Where persistent databases live. */
  stores: Stores;
  /** Where databases are shared between tabs: which this worker holds (browsers). */
  election?: Election;
  /** A port to the broker arrived with the page's load request (browsers). */
  joined?: (broker: MessagePort) => void;
}

/** The client of requests from the worker's own page; other pages are named by their id. */
export const OWN_PAGE = "";

interface Queued {
  message: unknown;
  client: string;
  resolve: (answer: Answer) => void;
  /**
   * Called with the request's id when it is about to commit something (at most once): until
   * then, the end of this worker leaves no trace of it, and the page may send it elsewhere.
   */
  committing?: (id: number) => void;
  /** Set once the request's wait for another client has a busy timeout running. */
  bounded?: boolean;
  /** The message checked against its declaration (null: it is not a valid request). */
  checked?: Checked | null;
  /** Work of the worker's own on a database's file (exclusive), instead of a message. */
  job?: { db: SyncDatabase; run: () => void };
}

/** The client of the worker's own work (exclusive): every page's connection is another's. */
const WORKER = "\0worker";

/** A valid request: its type, its declaration and its arguments. */
interface Checked {
  type: RequestType;
  declaration: Declaration;
  args: Record<string, unknown>;
}

type Answer = { response: Response; transfer: ArrayBuffer[] };

/** The buffers of a result to transfer rather than copy, as its request declares. */
function transferables(result: unknown, transfer: Transfer): ArrayBuffer[] {
  const buffer = (bytes: unknown) => (bytes as Uint8Array).buffer as ArrayBuffer;
  if (transfer === "result" && result instanceof Uint8Array) return [buffer(result)];
  if (transfer === "each" && Array.isArray(result)) return result.map(buffer);
  if (transfer === "chunk" && isObject(result) && result.chunk instanceof Uint8Array) {
    return [buffer(result.chunk)];
  }
  return [];
}

/** The id of a message, or -1 when it has none. */
function idOf(message: unknown): number {
  return isObject(message) && Number.isInteger(message.id) ? (message.id as number) : -1;
}

/** The answer to a message that failed with e. */
function failure(message: unknown, e: unknown): Answer {
  return {
    response: { v: PROTOCOL_VERSION, id: idOf(message), ok: false, error: serializeError(e) },
    transfer: [],
  };
}

/**
 * SQLITE_INTERRUPT caused by a passed deadline becomes TIMEOUT (e null: the request never
 * started).
 */
function timedOut(e: unknown, deadline: number): unknown {
  if (e !== null && (!(e instanceof SQLiteError) || e.resultCode !== RC.SQLITE_INTERRUPT)) return e;
  if (deadline === 0 || Date.now() < deadline) return e;
  const timeout = new WebSqliteError(
    "TIMEOUT",
    e === null
      ? "the request waited past its timeoutMs in the worker's queue and did not run"
      : "the request ran past its timeoutMs and was interrupted; what it wrote was rolled back",
    { cause: e ?? undefined },
  );
  return carryAutocommit(e, timeout);
}

/**
 * What the worker holds for its clients, by ids of the worker's own, never reused, so a stale id
 * cannot reach a later object. get() throws SQLITE_MISUSE for an id that is gone.
 */
abstract class Handles<T> {
  protected readonly byId = new Map<number, T>();
  protected readonly dispatcher: Dispatcher;

  constructor(dispatcher: Dispatcher) {
    this.dispatcher = dispatcher;
  }

  /** Why id is not usable. */
  protected abstract missing(id: number): string;

  /** Whether a held object may still be used (a statement may have been finalized). */
  protected usable(_item: T): boolean {
    return true;
  }

  add(item: T): number {
    const id = this.dispatcher.newId();
    this.byId.set(id, item);
    return id;
  }

  get(id: number): T {
    const item = this.byId.get(id);
    if (item !== undefined && this.usable(item)) return item;
    throw misuse(this.missing(id));
  }
}

class OpenDatabases extends Handles<SyncDatabase> {
  /** The client each database was opened by. */
  private readonly clients = new Map<number, string>();

  protected missing(id: number): string {
    return `database ${id} is not open (it was closed, or the worker restarted)`;
  }

  addFor(db: SyncDatabase, client: string): number {
    const id = this.add(db);
    this.clients.set(id, client);
    return id;
  }

  /** The databases open on the file of db, with their clients. */
  *sameFile(db: SyncDatabase): Iterable<[SyncDatabase, string]> {
    for (const [id, other] of this.byId) {
      if (other.name === db.name && other.storage === db.storage) {
        yield [other, this.clients.get(id) ?? OWN_PAGE];
      }
    }
  }

  /** Whether database id is open. */
  isOpen(id: number): boolean {
    return this.byId.has(id);
  }

  /** Whether a persistent database of name is open here, for any client. */
  has(name: string): boolean {
    for (const db of this.byId.values())
      if (db.name === name && isPersistent(db.storage as Storage)) return true;
    return false;
  }

  /** Whether every open database is client's (no other client can hold one). */
  onlyOf(client: string): boolean {
    for (const c of this.clients.values()) if (c !== client) return false;
    return true;
  }

  /** The database of a connection, with its id. */
  byConnection(connection: Connection): { id: number; db: SyncDatabase } | undefined {
    for (const [id, db] of this.byId) if (db.connection === connection) return { id, db };
    return undefined;
  }

  /** The ids of the databases a client opened. */
  of(client: string): number[] {
    return [...this.clients].filter(([, c]) => c === client).map(([id]) => id);
  }

  /** Closes a database and forgets its statements; closing twice is harmless. */
  async close(id: number): Promise<null> {
    const db = this.byId.get(id);
    if (!db) return null;
    this.byId.delete(id);
    this.clients.delete(id);
    this.dispatcher.statements.forget(db.connection);
    await db.closeAsync();
    this.dispatcher.options.election?.settle(db.name);
    return null;
  }

  /** After the instance died: every connection is gone, and its files are let go. */
  async drop(): Promise<void> {
    for (const db of this.byId.values()) await db.closeAsync();
    this.byId.clear();
    this.clients.clear();
  }
}

/** Prepared statements and iteration cursors. */
class OpenStatements extends Handles<PreparedStatement> {
  protected missing(): string {
    return "the statement is finalized or its database is closed";
  }

  protected override usable(stmt: PreparedStatement): boolean {
    return !stmt.isFinalized;
  }

  /** Cursors (iterate) still streaming: each holds its database until its last chunk. */
  private readonly cursors = new Set<number>();

  addCursor(stmt: PreparedStatement): number {
    const id = this.add(stmt);
    this.cursors.add(id);
    return id;
  }

  /** Whether a cursor of connection is streaming. */
  streaming(connection: Connection): boolean {
    for (const id of this.cursors) if (this.byId.get(id)?.connection === connection) return true;
    return false;
  }

  finalize(id: number): void {
    this.byId.get(id)?.finalize();
    this.byId.delete(id);
    this.cursors.delete(id);
  }

  /** Forgets the statements of connection (of every connection without one). */
  forget(connection?: Connection): void {
    for (const [id, s] of this.byId) {
      if (connection && s.connection !== connection) continue;
      this.byId.delete(id);
      this.cursors.delete(id);
    }
  }
}

export class Dispatcher {
  readonly stores: Stores;
  readonly options: DispatcherOptions;
  readonly databases = new OpenDatabases(this);
  readonly statements = new OpenStatements(this);
  /** SQLite as it is, and the encryption build once a key asked for it. */
  readonly runtimes: Runtimes;
  /** The runtimes and stores the synchronous API's databases of this worker open with. */
  readonly environment: Environment;
  /**
   * Ids start at a random point, so that an id of another worker (a database that moved to
   * this one) names nothing here instead of something else.
   */
  private nextId = Math.floor(Math.random() * 2 ** 20) * 2 ** 30 + 1;
  private queue: Promise<unknown> = Promise.resolve();
  /** Requests that wait for a database another client holds, in order, by client and database. */
  private readonly parked = new Map<string, Queued[]>();

  constructor(options: DispatcherOptions) {
    this.stores = options.stores;
    this.options = options;
    // A dead instance takes what was open in it: every database here is dropped (the pages
    // open theirs again).
    this.runtimes = new Runtimes(
      (cipher) => options.load(this.stores.host, cipher),
      async () => {
        await this.databases.drop();
        this.statements.forget();
      },
    );
    this.environment = { runtimes: this.runtimes, stores: this.stores };
  }

  /**
   * Queues a message of client; resolves with the response and the buffers to transfer.
   * committing, if given, is called when the request is about to commit what it wrote.
   */
  handle(message: unknown, client = OWN_PAGE, committing?: (id: number) => void): Promise<Answer> {
    return new Promise((resolve) => this.enqueue({ message, client, resolve, committing }));
  }

  private enqueue(item: Queued): void {
    this.queue = this.queue.then(() => this.step(item)).catch(() => undefined);
  }

  private async step(item: Queued): Promise<void> {
    const key = this.waitsFor(item);
    if (key !== null) {
      const waiting = this.parked.get(key);
      if (waiting) waiting.push(item);
      else this.parked.set(key, [item]);
      this.bound(item);
      return;
    }
    if (item.job) item.job.run();
    else item.resolve(await this.dispatch(item));
    this.tellChanges(item);
    this.wake();
  }

  /**
   * Calls listener after each request that committed changes, with the tables they changed (see
   * protocol.ts Changes), and with each notice of a sync engine: the one place where something
   * attaches to the worker's commits (the pages' change events, the sync engine). Returns the
   * function that detaches it.
   */
  onFeed(listener: (message: FeedMessage) => void): () => void {
    this.commitListeners.add(listener);
    return () => void this.commitListeners.delete(listener);
  }

  /** Hands a notice of a sync engine to the feed's listeners. */
  notify(notice: SyncNotice): void {
    for (const listener of this.commitListeners) listener(notice);
  }

  private readonly commitListeners = new Set<(message: FeedMessage) => void>();

  /** Tells the commit listeners of the tables that commits of the request's connection changed. */
  private tellChanges(item: Queued): void {
    const target = this.commitListeners.size > 0 && this.target(item);
    if (!target || !target.db.connection.isOpen) return;
    const { id, db } = target;
    if ((db.connection.flags() & ConnFlag.CHANGES) === 0) return;
    const tables = db.connection.takeCommittedTables();
    if (tables.length === 0) return;
    const changes: Changes = { name: db.name, storage: db.storage as Storage, db: id, tables };
    for (const listener of this.commitListeners) listener(changes);
  }

  /** The request an item is, checked once (null: not a valid request, which fails alone). */
  private checked(item: Queued): Checked | null {
    if (item.checked === undefined) {
      try {
        item.checked = this.validate(item.message);
      } catch {
        item.checked = null;
      }
    }
    return item.checked;
  }

  /** The database a request runs on (as its declaration says), if it is open. */
  private target(item: Queued): { id: number; db: SyncDatabase } | undefined {
    if (item.job) return item.job.db.connection.isOpen ? { id: 0, db: item.job.db } : undefined;
    const request = this.checked(item);
    const target = request?.declaration.target;
    if (!request || !target) return undefined;
    const id = request.args[target.key] as number;
    try {
      if (target.kind === "database") return { id, db: this.databases.get(id) };
      return this.databases.byConnection(this.statements.get(id).connection);
    } catch {
      return undefined; // an unknown id: the request fails on its own
    }
  }

  /**
   * A parked request on a connection with a busy timeout waits that long at most, as it would
   * for a lock of another connection: then it fails with SQLITE_BUSY, without running.
   */
  private bound(item: Queued): void {
    const target = this.target(item)?.db;
    const ms = target?.connection.busyTimeoutMs ?? 0;
    if (ms <= 0 || item.bounded) return;
    item.bounded = true;
    setTimeout(() => {
      for (const [key, waiting] of this.parked) {
        const at = waiting.indexOf(item);
        if (at < 0) continue;
        waiting.splice(at, 1);
        if (waiting.length === 0) this.parked.delete(key);
        const busy = new SQLiteError(
          RC.SQLITE_BUSY,
          `database is locked: another tab held '${target!.name}' in a transaction for longer ` +
            `than busyTimeoutMs (${ms} ms); the request did not run`,
        );
        item.resolve(failure(item.message, busy));
        this.wake();
        return;
      }
    }, ms);
  }

  /** Requeues, in order, the parked requests for each database another client let go. */
  private wake(): void {
    for (const [key, waiting] of [...this.parked]) {
      this.parked.delete(key); // so that the first request is judged on its own
      if (this.waitsFor(waiting[0]) !== null) this.parked.set(key, waiting);
      else for (const item of waiting) this.enqueue(item);
    }
  }

  /**
   * Whether a request must wait: the key of its client and database when another client holds
   * that database (see the top), or requests of this client to it already wait; else null.
   */
  private waitsFor(item: Queued): string | null {
    const { client } = item;
    if (this.parked.size === 0 && this.databases.onlyOf(client)) return null; // the common case
    if (!item.job && !this.checked(item)?.declaration.waits) return null;
    const target = this.target(item)?.db;
    if (!target) return null;
    const key = `${client}\0${target.storage}:${target.name}`;
    if (this.parked.has(key)) return key;
    for (const [other, owner] of this.databases.sameFile(target)) {
      if (owner === client || !other.connection.isOpen) continue;
      const inTransaction = (other.connection.flags() & ConnFlag.IN_TRANSACTION) !== 0;
      if (inTransaction || this.statements.streaming(other.connection)) {
        return key;
      }
    }
    return null;
  }

  /**
   * Runs work on db (a connection of the worker's own to a database's file) in the request
   * queue, as a request of another client would run: once no page's connection to the file is
   * in a transaction or streams from it, and before the requests that come after. What it
   * commits reaches the feed like any commit.
   */
  exclusive<T>(db: SyncDatabase, work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const run = () => {
        try {
          resolve(work());
        } catch (e) {
          reject(e);
        }
      };
      this.enqueue({ message: null, client: WORKER, resolve: () => undefined, job: { db, run } });
    });
  }

  /**
   * A client page is gone: its connections close (rolling back what they had open) and its
   * parked requests are dropped; the others go on.
   */
  dropClient(client: string): Promise<void> {
    const done = this.queue.then(async () => {
      for (const key of this.parked.keys())
        if (key.startsWith(`${client}\0`)) this.parked.delete(key);
      for (const id of this.databases.of(client)) await this.databases.close(id);
      this.wake();
    });
    this.queue = done.catch(() => undefined);
    return done;
  }

  private async dispatch(item: Queued): Promise<Answer> {
    const { message, client, committing } = item;
    const id = idOf(message);
    try {
      const { type, declaration, args } = this.checked(item) ?? this.validate(message);
      this.client = client;
      const deadline = declaration.deadline ? (args[declaration.deadline] as number) : 0;
      // A request that waited in the queue past its deadline does not start: the client has
      // already reported TIMEOUT, and what it reports must be what happened.
      if (deadline > 0 && Date.now() >= deadline) throw timedOut(null, deadline);
      const runtimes = this.runtimes.loaded();
      let told = false;
      const onCommit = committing
        ? () => {
            if (!told) committing(id);
            told = true;
          }
        : null;
      for (const runtime of runtimes) runtime.committing = onCommit;
      try {
        const run = this.options.handlers[type] as (w: Dispatcher, args: unknown) => unknown;
        const result = await run(this, args);
        // A durable commit is answered once its store has it (IndexedDB saves after the fact).
        const saving = this.stores.settle();
        if (saving) await saving;
        return {
          response: { v: PROTOCOL_VERSION, id, ok: true, result },
          transfer: transferables(result, declaration.transfer),
        };
      } catch (e) {
        throw timedOut(e, deadline);
      } finally {
        for (const runtime of runtimes) runtime.committing = null;
      }
    } catch (e) {
      return failure(message, e);
    }
  }

  /** The request a message is, checked against its declaration; BAD_REQUEST if it is none. */
  private validate(message: unknown): Checked {
    if (!isObject(message)) throw new BadRequest("not an object");
    if (message.v !== PROTOCOL_VERSION) {
      throw new BadRequest(`protocol version ${String(message.v)}, expected ${PROTOCOL_VERSION}`);
    }
    if (!Number.isInteger(message.id)) throw new BadRequest("'id' must be an integer");
    const type = message.type;
    if (typeof type !== "string" || !Object.hasOwn(REQUESTS, type)) {
      throw new BadRequest(`unknown request type '${String(type)}'`);
    }
    const declaration: Declaration = REQUESTS[type as RequestType];
    const args = declaration.check(message.args, "") as Record<string, unknown>;
    return { type: type as RequestType, declaration, args };
  }

  /** The client of the request being dispatched (for open: whose the connection is). */
  client = OWN_PAGE;

  /** @internal a fresh id for a database or a statement. */
  newId(): number {
    return this.nextId++;
  }

  /**
   * A runtime for work on no database of the app's (the version, import checks, changesets):
   * loaded on first use, and again after its instance died.
   */
  runtime(): Promise<Runtime> {
    return this.runtimes.ready(false);
  }

  /** The connection of database id, with the request's deadline set. */
  connection(id: number, deadline = 0): Connection {
    const c = this.databases.get(id).connection;
    c.deadline(deadline);
    return c;
  }

  transactions(id: number): TransactionController {
    const db = this.databases.get(id);
    db.connection.deadline(0);
    return db.transactions;
  }

  /** A statement by id, with the request's deadline set on its connection. */
  statement(id: number, deadline = 0): PreparedStatement {
    const s = this.statements.get(id);
    s.connection.deadline(deadline);
    return s;
  }
}
