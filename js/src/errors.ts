/**
 * Every error the library raises is a WebSqliteError; those that come from SQLite are its
 * subclass SQLiteError, which carries SQLite's extended result code.
 */

/** A failure of web-sqlite itself: loading, a dead instance or worker, a timeout, misuse. */
export class WebSqliteError extends Error {
  /** A stable, symbolic code: "LOAD_FAILED", "INSTANCE_DEAD", "WORKER_DIED", "TIMEOUT", ... */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "WebSqliteError";
    this.code = code;
  }
}

/** An error reported by SQLite. */
export class SQLiteError extends WebSqliteError {
  /** The extended result code, e.g. 2067. */
  readonly resultCode: number;
  /** Offset in the SQL text (UTF-16 code units, as JavaScript indexes strings), when known. */
  readonly offset: number | undefined;

  /**
   * @param codeName the result code's symbolic name, e.g. "SQLITE_CONSTRAINT_UNIQUE"
   */
  constructor(resultCode: number, codeName: string, message: string, offset?: number) {
    super(codeName, message);
    this.name = "SQLiteError";
    this.resultCode = resultCode;
    this.offset = offset !== undefined && offset >= 0 ? offset : undefined;
  }
}
