export {
  open,
  importDatabase,
  deleteDatabase,
  listDatabases,
  selfTest,
  shutdown,
  Database,
  Transaction,
  Statement,
} from "./client/database.js";
export type {
  OpenOptions,
  StoreOptions,
  RunResult,
  Row,
  ArrayRows,
  BatchStatement,
  BatchObject,
  BatchResult,
  TransactionOptions,
  IterateOptions,
} from "./client/options.js";
export { SQLiteError, WebSqliteError } from "./errors.js";
export type { BindParams, SqlValue } from "./codec/params.js";
export type { Key } from "./codec/key.js";
export type { Storage, Durability } from "./worker/protocol.js";
export type { PersistentStorage } from "./runtime/store.js";
export type { IoStats, SelfTestReport, SelfTestStep } from "./bindings/sync-database.js";
export type { WatchOptions } from "./client/live-query.js";
export type { ExecuteResult } from "./codec/results.js";
export type { ApplyOptions, Migration, MigrationResult, OnConflict } from "./bindings/changes.js";
export { ResultCode, SQLITE_VERSION } from "./generated/constants.js";
export { Sync, SyncRejectedError } from "./client/pg-sync.js";
export type { SyncOptions, SyncStatus } from "./client/pg-sync.js";
