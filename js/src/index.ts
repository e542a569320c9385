export { open, shutdown, Database, Statement } from "./client/database.js";
export type { OpenOptions, RunResult, Row } from "./client/database.js";
export { SQLiteError, WebSqliteError } from "./errors.js";
export type { BindParams, SqlValue } from "./codec/params.js";
export type { Storage } from "./worker/protocol.js";
export { ResultCode, SQLITE_VERSION } from "./generated/constants.js";
