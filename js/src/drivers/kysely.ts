/**
 * web-sqlite/kysely: a Kysely dialect over a database of the Promise API (open()) or of the
 * synchronous API (web-sqlite/sync, in a worker or in Node). Kysely's own SQLite query compiler,
 * adapter and introspector; the driver maps Kysely's transactions and savepoints to web-sqlite's
 * transaction controller (never BEGIN/COMMIT sent as queries), so a transaction is one
 * db.transaction() of the Promise API, with every rule it has across tabs.
 *
 * Kysely has one connection: while a transaction holds it, Kysely's other queries wait for it
 * (Kysely's own lock, for adapters like SQLite's that have one connection).
 */
import {
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
  CompiledQuery,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from "kysely";
import type { Database, Transaction } from "../client/database.js";
import type { SyncDatabase } from "../bindings/sync-database.js";
import type { TransactionMode } from "../bindings/transaction.js";
import type { BindParams } from "../codec/params.js";
import type { ExecuteResult } from "../codec/results.js";
import { objectOf } from "./rows.js";

/** A database of either API. */
export type AnyDatabase = Database | SyncDatabase;

export interface WebSqliteDialectConfig {
  /**
   * The database: of the Promise API (`await open(name)`), or of the synchronous API (`await
   * Database.open(name)` from web-sqlite/sync), or a function that opens one (called at Kysely's
   * first query). `kysely.destroy()` closes it.
   */
  database: AnyDatabase | (() => AnyDatabase | Promise<AnyDatabase>);
  /** How Kysely's transactions begin: "deferred" (default), "immediate" or "exclusive". */
  transactionMode?: TransactionMode;
}

export class WebSqliteDialect implements Dialect {
  private readonly config: WebSqliteDialectConfig;

  constructor(config: WebSqliteDialectConfig) {
    this.config = { ...config };
  }

  createDriver(): Driver {
    return new WebSqliteDriver(this.config);
  }

  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return new SqliteAdapter();
  }

  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}

function isSync(db: AnyDatabase): db is SyncDatabase {
  return typeof (db as SyncDatabase).selectValue === "function";
}

class WebSqliteDriver implements Driver {
  private readonly config: WebSqliteDialectConfig;
  private db: AnyDatabase | null = null;
  private connection: WebSqliteConnection | null = null;

  constructor(config: WebSqliteDialectConfig) {
    this.config = config;
  }

  async init(): Promise<void> {
    const { database } = this.config;
    this.db = typeof database === "function" ? await database() : database;
    const mode = this.config.transactionMode ?? "deferred";
    this.connection = isSync(this.db)
      ? new SyncConnection(this.db, mode)
      : new AsyncConnection(this.db, mode);
  }

  // One connection: Kysely lends it to one user at a time (its SQLite adapter says it has no
  // other), so a query outside a transaction waits for the transaction to end.
  async acquireConnection(): Promise<DatabaseConnection> {
    return this.connection!;
  }

  async releaseConnection(): Promise<void> {}

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as WebSqliteConnection).begin(null);
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as WebSqliteConnection).end(null, true);
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as WebSqliteConnection).end(null, false);
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await (connection as WebSqliteConnection).begin(name);
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await (connection as WebSqliteConnection).end(name, false);
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await (connection as WebSqliteConnection).end(name, true);
  }

  async destroy(): Promise<void> {
    const db = this.db;
    this.db = null;
    await db?.close();
  }
}

/** What a Kysely query produced, from a statement's rows and counts. */
function queryResult<R>(r: ExecuteResult): QueryResult<R> {
  const rows = r.rows.map((row) => objectOf(r.columns, row)) as R[];
  // A statement without result columns wrote (or did nothing): its counts are the result.
  if (r.columns.length > 0 && r.changes === 0) return { rows };
  return {
    rows,
    numAffectedRows: BigInt(r.changes),
    insertId: r.changes > 0 ? BigInt(r.lastInsertRowid) : undefined,
  };
}

const params = (query: CompiledQuery) => query.parameters as BindParams;

/** Kysely's connection: the database, or the innermost level of its open transaction. */
interface WebSqliteConnection extends DatabaseConnection {
  /** Opens a level: the transaction (name null) or a savepoint inside it. */
  begin(name: string | null): Promise<void>;
  /** Commits or rolls back the level `name` (null: the transaction), and every level inside it. */
  end(name: string | null, commit: boolean): Promise<void>;
}

function notOpen(name: string | null): Error {
  return new TypeError(
    `no open ${name === null ? "transaction" : `savepoint '${name}'`} to commit`,
  );
}

/** A rollback asked for by Kysely: the level's callback rejects with it. */
const ROLLBACK = Symbol("rollback");

interface AsyncLevel {
  name: string | null;
  tx: Transaction;
  /** Settles the level's callback: the transaction commits (true) or rolls back. */
  settle(commit: boolean): void;
  /** The level's db.transaction() / tx.transaction(), once it ended. */
  ended: Promise<void>;
}

class AsyncConnection implements WebSqliteConnection {
  private readonly db: Database;
  private readonly mode: TransactionMode;
  private readonly levels: AsyncLevel[] = [];

  constructor(db: Database, mode: TransactionMode) {
    this.db = db;
    this.mode = mode;
  }

  private get target(): Database | Transaction {
    return this.levels.at(-1)?.tx ?? this.db;
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return queryResult<R>(await this.target.execute(query.sql, params(query)));
  }

  async *streamQuery<R>(
    query: CompiledQuery,
    chunkSize = 1024,
  ): AsyncIterableIterator<QueryResult<R>> {
    let rows: R[] = [];
    for await (const row of this.target.iterate<R>(query.sql, params(query), {
      chunkRows: chunkSize,
    })) {
      rows.push(row);
      if (rows.length === chunkSize) {
        yield { rows };
        rows = [];
      }
    }
    if (rows.length > 0) yield { rows };
  }

  async begin(name: string | null): Promise<void> {
    let settle!: (commit: boolean) => void;
    let opened!: (tx: Transaction) => void;
    const open = new Promise<Transaction>((resolve) => (opened = resolve));
    const ended = this.target
      .transaction(
        (tx) => {
          opened(tx);
          return new Promise<void>((resolve, reject) => {
            settle = (commit) => (commit ? resolve() : reject(ROLLBACK));
          });
        },
        name === null ? { mode: this.mode } : {},
      )
      .catch((e) => {
        if (e !== ROLLBACK) throw e;
      });
    // BEGIN (or SAVEPOINT) failed: the transaction ends before its callback runs.
    const tx = await Promise.race([open, ended.then(() => null)]);
    if (tx === null) return;
    this.levels.push({ name, tx, settle, ended });
  }

  async end(name: string | null, commit: boolean): Promise<void> {
    // A failed COMMIT already rolled the transaction back; Kysely's rollback after it is a no-op.
    if (!this.levels.some((level) => level.name === name)) {
      if (commit) throw notOpen(name);
      return;
    }
    for (;;) {
      const level = this.levels.pop()!;
      level.settle(commit);
      await level.ended;
      if (level.name === name) return;
    }
  }
}

class SyncConnection implements WebSqliteConnection {
  private readonly db: SyncDatabase;
  private readonly mode: TransactionMode;
  /** The open levels of the database's transaction controller, by name. */
  private readonly levels: { name: string | null; level: number }[] = [];

  constructor(db: SyncDatabase, mode: TransactionMode) {
    this.db = db;
    this.mode = mode;
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return queryResult<R>(this.db.execute(query.sql, params(query)));
  }

  async *streamQuery<R>(
    query: CompiledQuery,
    chunkSize = 1024,
  ): AsyncIterableIterator<QueryResult<R>> {
    const stmt = this.db.prepare(query.sql);
    try {
      stmt.bind(params(query));
      let rows: R[] = [];
      while (stmt.step()) {
        rows.push(stmt.row({}) as R);
        if (rows.length === chunkSize) {
          yield { rows };
          rows = [];
        }
      }
      if (rows.length > 0) yield { rows };
    } finally {
      stmt.finalize();
    }
  }

  async begin(name: string | null): Promise<void> {
    const level = this.db.transactions.begin(this.mode, name !== null);
    this.levels.push({ name, level });
  }

  async end(name: string | null, commit: boolean): Promise<void> {
    let at = this.levels.length - 1;
    while (at >= 0 && this.levels[at].name !== name) at--;
    if (at < 0) {
      if (commit) throw notOpen(name);
      return;
    }
    // A failed COMMIT leaves the level open, for Kysely's rollback after it.
    const { level } = this.levels[at];
    if (commit) this.db.transactions.commit(level);
    else this.db.transactions.rollback(level);
    this.levels.length = at;
  }
}
