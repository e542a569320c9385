// The synchronous API, for code that runs next to the wasm (a worker, or Node).
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
// The bindings under it.
export { Connection, PreparedStatement, VFS } from "./bindings/connection.js";
export type { ConnectionOptions } from "./bindings/connection.js";
export { loadRuntime, Runtime } from "./runtime/runtime.js";
export { defaultWasmUrl } from "./platform.js";
export type { RuntimeOptions, WasmSource, LoadStage, CoreExports } from "./runtime/runtime.js";
export type { HostFileSystem } from "./runtime/host.js";
export type { ResultSet, ColumnInfo, ExecuteResult } from "./codec/results.js";
export { encodeParams } from "./codec/params.js";
export type { BindParams, SqlValue } from "./codec/params.js";
export { SQLiteError, WebSqliteError } from "./errors.js";
export { ResultCode, OpenFlag, SQLITE_VERSION } from "./generated/constants.js";
export { OpfsStore } from "./runtime/hosts/opfs.js";
export type { DatabaseStore } from "./runtime/store.js";
