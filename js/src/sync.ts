// The synchronous API, for code that runs next to the wasm (a worker, or Node): exactly what
// docs/API.md lists under "Exports" (js/test/exports.test.ts checks it).
export { SyncDatabase as Database, selfTest } from "./bindings/sync-database.js";
export type {
  DatabaseOptions,
  ExecOptions,
  AggregateFunction,
  FunctionOptions,
  Row,
  IoStats,
  SelfTestReport,
  SelfTestStep,
  ApplyOptions,
  Migration,
  MigrationResult,
  OnConflict,
} from "./bindings/sync-database.js";
export { SyncStatement as Statement } from "./bindings/sync-statement.js";
export { JsStorageDb } from "./bindings/js-storage-db.js";
export type { WasmSource } from "./runtime/runtime.js";
export type { ExecuteResult } from "./codec/results.js";
export type { BindParams, SqlValue } from "./codec/params.js";
export type { Key } from "./codec/key.js";
export { SQLiteError, WebSqliteError } from "./errors.js";
export { ResultCode, SQLITE_VERSION } from "./generated/constants.js";
