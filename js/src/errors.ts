/**
 * Every error the library raises is a WebSqliteError; those that come from SQLite are its
 * subclass SQLiteError, which carries SQLite's extended result code. The errors a user can cause
 * in more than one layer are built here, once.
 */
import { ResultCode } from "./generated/constants.js";

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

/** Result codes by number, made at the first use (a script that names none stays small). */
let names: Map<number, string> | undefined;

/**
 * The symbolic name of a result code, e.g. "SQLITE_CONSTRAINT_UNIQUE" for 2067. An extended
 * code this build does not know is named after its primary code.
 */
export function codeName(resultCode: number): string {
  names ??= new Map(Object.entries(ResultCode).map(([name, rc]) => [rc, name]));
  return names.get(resultCode) ?? names.get(resultCode & 0xff) ?? "SQLITE_UNKNOWN";
}

/** An error reported by SQLite. */
export class SQLiteError extends WebSqliteError {
  /** The extended result code, e.g. 2067. */
  readonly resultCode: number;
  /** Offset in the SQL text (UTF-16 code units, as JavaScript indexes strings), when known. */
  readonly offset: number | undefined;

  /** code is the result code's name, derived from resultCode. */
  constructor(resultCode: number, message: string, options?: { offset?: number; cause?: unknown }) {
    super(codeName(resultCode), message, options);
    this.name = "SQLiteError";
    this.resultCode = resultCode;
    const offset = options?.offset;
    this.offset = offset !== undefined && offset >= 0 ? offset : undefined;
  }
}

/** SQLITE_MISUSE: the API was used in a way that cannot work (a closed database, say). */
export function misuse(message: string): SQLiteError {
  return new SQLiteError(ResultCode.SQLITE_MISUSE, message);
}

/** UNSUPPORTED: the storage asked for does not exist in this environment. */
export function storageUnavailable(storage: string, available: readonly string[]): WebSqliteError {
  const instead = [...available, "memory"].map((s) => `"${s}"`).join(" or ");
  return new WebSqliteError(
    "UNSUPPORTED",
    `storage "${storage}" is not available here; use ${instead}`,
  );
}

/**
 * @internal Errors after which the connection was in autocommit mode: if a transaction was
 * open, SQLite rolled it back (it does after SQLITE_FULL, IOERR, NOMEM, an interrupt). The core
 * says so in the error record; the worker and the client pass it on.
 */
export const autocommitAfter = new WeakSet<Error>();

/** @internal to is what from became (wrapped, renamed): it keeps from's autocommit mark. */
export function carryAutocommit<E extends Error>(from: unknown, to: E): E {
  if (from instanceof Error && autocommitAfter.has(from)) autocommitAfter.add(to);
  return to;
}

/** Where a failed load of the package's files is explained. */
export const LOADING_DOCS = '(docs/API.md, "Loading in a browser")';

/**
 * For a file of the package (the worker, the wasm) at url that is not there: what to do, when a
 * bundler's dev server is to blame (Vite's dependency optimizer copies the package's modules into
 * .vite/deps, away from the files beside them); null when it is a question of deployment.
 */
export function movedByBundler(url: string): string | null {
  return url.includes("/.vite/deps/")
    ? "Vite's dependency optimizer moved web-sqlite away from its worker and wasm: add " +
        'optimizeDeps: { exclude: ["web-sqlite"] } to vite.config.js'
    : null;
}
