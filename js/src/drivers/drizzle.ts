/**
 * web-sqlite/drizzle: a Drizzle ORM driver over a database of the Promise API (open()). Every
 * query is one request to the worker: rows come as arrays, mapped by Drizzle's own field
 * mapping (so joined tables with columns of the same name stay apart); `db.batch([...])` is one
 * round trip, all or nothing (db.batch of the Promise API); transactions and nested
 * transactions are web-sqlite's own (db.transaction, tx.transaction: SAVEPOINTs), with every
 * rule they have across tabs.
 *
 * Errors: Drizzle wraps what a driver throws in its DrizzleQueryError (with the SQL and the
 * parameters); web-sqlite's typed error (SQLiteError, WebSqliteError) is its `cause`.
 */
import type { BatchItem, BatchResponse } from "drizzle-orm/batch";
import { type Cache, NoopCache } from "drizzle-orm/cache/core";
import type { WithCacheConfig } from "drizzle-orm/cache/core/types";
import {
  DefaultLogger,
  type DrizzleConfig,
  type Logger,
  NoopLogger,
  type Query,
  type RelationalSchemaConfig,
  type TablesRelationalConfig,
  createTableRelationsHelpers,
  entityKind,
  extractTablesRelationalConfig,
  fillPlaceholders,
} from "drizzle-orm";
import * as orm from "drizzle-orm";
import {
  BaseSQLiteDatabase,
  type PreparedQueryConfig,
  SQLiteAsyncDialect,
  type SQLiteExecuteMethod,
  SQLitePreparedQuery,
  SQLiteSession,
  SQLiteTransaction,
  type SQLiteTransactionConfig,
  type SelectedFieldsOrdered,
} from "drizzle-orm/sqlite-core";
import type { Database, Transaction } from "../client/database.js";
import type { RunResult } from "../client/options.js";
import type { BindParams } from "../codec/params.js";
import type { ExecuteResult } from "../codec/results.js";
import { objectOf } from "./rows.js";

type Target = Database | Transaction;
type Schema = RelationalSchemaConfig<TablesRelationalConfig> | undefined;
interface SessionOptions {
  logger: Logger;
  cache: Cache;
}

/** A database of the Promise API, as Drizzle sees it. */
export class WebSqliteDatabase<
  TSchema extends Record<string, unknown> = Record<string, never>,
> extends BaseSQLiteDatabase<"async", RunResult, TSchema> {
  static override readonly [entityKind]: string = "WebSqliteDatabase";
  /** The web-sqlite database under it. */
  declare $client: Database;

  /** Runs the queries in one round trip, all or nothing. */
  async batch<U extends BatchItem<"sqlite">, T extends Readonly<[U, ...U[]]>>(
    batch: T,
  ): Promise<BatchResponse<T>> {
    return (this as unknown as { session: WebSqliteSession }).session.batch(batch) as never;
  }
}

/**
 * A Drizzle database over db (from `await open(name)`). config: Drizzle's own (schema for
 * relational queries, logger, casing, cache).
 */
export function drizzle<TSchema extends Record<string, unknown> = Record<string, never>>(
  db: Database,
  config: DrizzleConfig<TSchema> = {},
): WebSqliteDatabase<TSchema> & { $client: Database } {
  if (!db || typeof (db as Database).execute !== "function" || "selectValue" in db) {
    throw new TypeError("drizzle: pass a database of web-sqlite's Promise API (await open(name))");
  }
  const dialect = new SQLiteAsyncDialect({ casing: config.casing });
  const logger = config.logger === true ? new DefaultLogger() : config.logger || new NoopLogger();
  let schema: Schema;
  if (config.schema) {
    const tables = extractTablesRelationalConfig(config.schema, createTableRelationsHelpers);
    schema = {
      fullSchema: config.schema,
      schema: tables.tables,
      tableNamesMap: tables.tableNamesMap,
    };
  }
  const session = new WebSqliteSession(db, dialect, schema, {
    logger,
    cache: config.cache ?? new NoopCache(),
  });
  const drizzled = new WebSqliteDatabase<TSchema>(
    "async",
    dialect,
    session as never,
    schema as never,
  );
  drizzled.$client = db;
  if (config.cache) {
    (drizzled as unknown as { $cache: Cache }).$cache = config.cache;
    (config.cache as unknown as { invalidate: unknown }).invalidate = config.cache.onMutate;
  }
  return drizzled;
}

class WebSqliteSession extends SQLiteSession<
  "async",
  RunResult,
  Record<string, unknown>,
  TablesRelationalConfig
> {
  static override readonly [entityKind]: string = "WebSqliteSession";
  readonly target: Target;
  readonly asyncDialect: SQLiteAsyncDialect;
  readonly schema: Schema;
  readonly options: SessionOptions;

  constructor(
    target: Target,
    dialect: SQLiteAsyncDialect,
    schema: Schema,
    options: SessionOptions,
  ) {
    super(dialect);
    this.target = target;
    this.asyncDialect = dialect;
    this.schema = schema;
    this.options = options;
  }

  prepareQuery<T extends PreparedQueryConfig & { type: "async" }>(
    query: Query,
    fields: SelectedFieldsOrdered | undefined,
    executeMethod: SQLiteExecuteMethod,
    isResponseInArrayMode: boolean,
    customResultMapper?: (rows: unknown[][]) => unknown,
    queryMetadata?: { type: "select" | "update" | "delete" | "insert"; tables: string[] },
    cacheConfig?: WithCacheConfig,
  ): WebSqlitePreparedQuery<T> {
    return new WebSqlitePreparedQuery<T>(this.target, query, this.options, executeMethod, {
      fields,
      isResponseInArrayMode,
      customResultMapper,
      queryMetadata,
      cacheConfig,
    });
  }

  async batch(queries: readonly BatchItem<"sqlite">[]): Promise<unknown[]> {
    const prepared = queries.map((q) =>
      (q as unknown as { _prepare(): WebSqlitePreparedQuery<never> })._prepare(),
    );
    const statements = prepared.map((p) => {
      const { sql, params } = p.getQuery();
      return { sql, params: params as BindParams };
    });
    for (const { sql, params } of statements)
      this.options.logger.logQuery(sql, params as unknown[]);
    const results = await this.target.batchArrays(statements);
    return results.map((result, i) => prepared[i].mapResult(result, true));
  }

  /** Drizzle's transaction: db.transaction() (or tx.transaction(), a savepoint, inside one). */
  async transaction<T>(
    fn: (tx: WebSqliteTransaction) => Promise<T>,
    config?: SQLiteTransactionConfig,
  ): Promise<T> {
    return this.target.transaction(
      (tx) => fn(new WebSqliteTransaction(this.within(tx))),
      config?.behavior ? { mode: config.behavior } : {},
    );
  }

  /** The same session, on a transaction's tx. */
  within(tx: Transaction): WebSqliteSession {
    return new WebSqliteSession(tx, this.asyncDialect, this.schema, this.options);
  }
}

class WebSqliteTransaction extends SQLiteTransaction<
  "async",
  RunResult,
  Record<string, unknown>,
  TablesRelationalConfig
> {
  static override readonly [entityKind]: string = "WebSqliteTransaction";
  private readonly own: WebSqliteSession;

  constructor(session: WebSqliteSession, nestedIndex = 0) {
    super("async", session.asyncDialect, session as never, session.schema as never, nestedIndex);
    this.own = session;
  }

  override async transaction<T>(fn: (tx: WebSqliteTransaction) => Promise<T>): Promise<T> {
    return this.own.target.transaction((tx) =>
      fn(new WebSqliteTransaction(this.own.within(tx), this.nestedIndex + 1)),
    );
  }
}

/**
 * Drizzle's mapping of a row (an array) to its selected fields: every Drizzle driver's, exported
 * by drizzle-orm though its typings leave it out.
 */
const mapResultRow = (
  orm as unknown as {
    mapResultRow(
      fields: SelectedFieldsOrdered,
      row: unknown[],
      joinsNotNullableMap: Record<string, boolean> | undefined,
    ): unknown;
  }
).mapResultRow;

interface Mapping {
  fields: SelectedFieldsOrdered | undefined;
  isResponseInArrayMode: boolean;
  customResultMapper?: (rows: unknown[][]) => unknown;
  queryMetadata?: { type: "select" | "update" | "delete" | "insert"; tables: string[] };
  cacheConfig?: WithCacheConfig;
}

/** The parts of Drizzle's prepared query that its typings keep to themselves. */
interface DrizzleInternals {
  joinsNotNullableMap?: Record<string, boolean>;
  queryWithCache<R>(sql: string, params: unknown[], query: () => Promise<R>): Promise<R>;
}

class WebSqlitePreparedQuery<
  T extends PreparedQueryConfig & { type: "async" },
> extends SQLitePreparedQuery<T> {
  static override readonly [entityKind]: string = "WebSqlitePreparedQuery";
  private readonly target: Target;
  private readonly logger: Logger;
  private readonly mapping: Mapping;

  constructor(
    target: Target,
    query: Query,
    options: SessionOptions,
    executeMethod: SQLiteExecuteMethod,
    mapping: Mapping,
  ) {
    super("async", executeMethod, query, options.cache, mapping.queryMetadata, mapping.cacheConfig);
    this.target = target;
    this.logger = options.logger;
    this.mapping = mapping;
  }

  private get internals(): DrizzleInternals {
    return this as unknown as DrizzleInternals;
  }

  /** One request: the statement with its rows (as arrays) and counts. */
  private send(placeholderValues?: Record<string, unknown>): Promise<ExecuteResult> {
    const { sql, params } = this.query;
    const values = fillPlaceholders(params, placeholderValues ?? {});
    this.logger.logQuery(sql, values);
    return this.internals.queryWithCache(sql, values, () =>
      this.target.execute(sql, values as BindParams),
    );
  }

  async run(placeholderValues?: Record<string, unknown>): Promise<T["run"]> {
    return this.mapRunResult(await this.send(placeholderValues)) as T["run"];
  }

  override mapRunResult(result: unknown): RunResult {
    const { changes, lastInsertRowid } = result as ExecuteResult;
    return { changes, lastInsertRowid };
  }

  async all(placeholderValues?: Record<string, unknown>): Promise<T["all"]> {
    return this.mapAllResult(await this.send(placeholderValues)) as T["all"];
  }

  override mapAllResult(result: unknown): unknown {
    const { columns, rows } = result as ExecuteResult;
    const { fields, customResultMapper } = this.mapping;
    if (customResultMapper) return customResultMapper(rows);
    if (!fields) return rows.map((row) => objectOf(columns, row));
    return rows.map((row) => mapResultRow(fields, row, this.internals.joinsNotNullableMap));
  }

  async get(placeholderValues?: Record<string, unknown>): Promise<T["get"]> {
    return this.mapGetResult(await this.send(placeholderValues)) as T["get"];
  }

  override mapGetResult(result: unknown): unknown {
    const { columns, rows } = result as ExecuteResult;
    const { fields, customResultMapper } = this.mapping;
    const row = rows[0];
    if (row === undefined) return undefined;
    if (customResultMapper) return customResultMapper([row]);
    if (!fields) return objectOf(columns, row);
    return mapResultRow(fields, row, this.internals.joinsNotNullableMap);
  }

  async values(placeholderValues?: Record<string, unknown>): Promise<T["values"]> {
    return (await this.send(placeholderValues)).rows as T["values"];
  }

  /** @internal Drizzle asks whether rows come as arrays. */
  isResponseInArrayMode(): boolean {
    return this.mapping.isResponseInArrayMode;
  }
}
