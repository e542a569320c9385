/**
 * The state one Database and its transactions share (DatabaseCore): where the database is open
 * (this page's worker, or the holder of another tab, which may change), and its requests, sent
 * there and, after the database moved, opened again at the new holder and sent again when they
 * left no trace. Which transaction owns the database now (owner), and the rules of who may call.
 */
import { isPersistent } from "../runtime/storages.js";
import { WebSqliteError, autocommitAfter, misuse } from "../errors.js";
import type { Result } from "../worker/handlers.js";
import type { Changes, Storage } from "../worker/protocol.js";
import { type Args, REQUESTS, type RequestType } from "../worker/requests.js";
import { onChanges } from "./change-feed.js";
import { type OpenedArgs, errorCode, place, shutdowns } from "./routing.js";
import { type WorkerClient, callSafely, leftNoTrace } from "./worker-client.js";

/** What the core needs of a transaction (transaction.ts) that owns the database. */
export interface Owner {
  /** It, or a transaction it is nested in, has ended. */
  readonly finished: boolean;
  /** The database's moves count when the outermost transaction began (undefined: not yet). */
  readonly began: number | undefined;
}

/** DATABASE_MOVED: what was at the holder that ended (a transaction, a cursor) is gone. */
export function movedAway(name: string, what = "the open transaction"): WebSqliteError {
  return new WebSqliteError(
    "DATABASE_MOVED",
    `the tab that held '${name}' closed, and ${what} ended with it; the database moved to ` +
      `another tab, where the next call runs`,
  );
}

export function transferOf(bytes: Uint8Array | null): ArrayBuffer[] {
  return bytes ? [bytes.buffer as ArrayBuffer] : [];
}

/** How a database shared between tabs opens again when it moved to another holder. */
export interface Sharing {
  own: WorkerClient;
  key: number;
  /** shutdown() calls before the database was opened. */
  shutdowns: number;
}

/** The state one Database and its transactions share. */
export class DatabaseCore {
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
  owner: Owner | null = null;
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
    return this.sharing !== null && this.sharing.shutdowns === shutdowns();
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
  check(caller: Owner | null, what: string, joins = false): number {
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
        // The database's id at its holder now (it changes when the database moves), in the
        // argument its declaration names.
        const target = REQUESTS[type].target;
        const sent = target?.kind === "database" ? { ...args, [target.key]: this.id } : args;
        try {
          // A shared database's parameters are copied, not transferred: a request its holder
          // never began is sent again, to the next holder.
          const moved = this.sharing ? [] : transfer;
          return await this.client.request(type, sent, moved, control ? 0 : this.timeoutMs);
        } catch (e) {
          if (!this.follows || errorCode(e) !== "WORKER_DIED" || !this.moved) throw e;
          // The holder ended before the request committed anything (a read, or a write that
          // had not reached its commit): it left no trace; send it to the new holder. Inside a
          // transaction it is not sent: the transaction ended with the holder (above).
          if (leftNoTrace.has(e as Error)) {
            // A statement or a cursor lives at its holder: the caller prepares it again (a
            // statement) or gives up (a cursor: DATABASE_MOVED).
            if (target && target.kind !== "database") throw movedAway(this.name, "the statement");
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
      const same = !isPersistent(this.storage)
        ? c.db === this.id
        : c.name === this.name && c.storage === this.storage;
      if (same && !this.closed) callSafely(listener, c.tables);
    };
    const stop = onChanges(own);
    this.watchers.add(stop);
    return stop;
  }

  detach(): void {
    this.closed = true;
    if (this.log) this.client.logListeners.delete(this.log);
    for (const stop of this.watchers) stop();
  }
}
