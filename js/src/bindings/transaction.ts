/**
 * The one transaction controller of a connection, for every layer: the synchronous API's
 * transaction() and savepoint(), the worker's batch, and the Promise API's transaction(), whose
 * steps the worker runs here one request at a time.
 *
 * Levels nest. The outermost level is BEGIN / COMMIT / ROLLBACK when the connection is in
 * autocommit mode; every other level is a savepoint named after its depth (wsq_sp_<level>).
 * A level is rolled back only while the connection is still in a transaction (after some errors
 * SQLite has already rolled everything back), and a rollback that fails is reported with
 * ROLLBACK_FAILED, never swallowed.
 */
import { WebSqliteError } from "../errors.js";
import type { Connection } from "./connection.js";

export type TransactionMode = "deferred" | "immediate" | "exclusive";

const MODES: readonly TransactionMode[] = ["deferred", "immediate", "exclusive"];

/** The mode, checked: a TypeError names the three there are. */
export function checkMode(mode: unknown): TransactionMode {
  if (!MODES.includes(mode as TransactionMode)) {
    throw new TypeError('transaction: mode must be "deferred", "immediate" or "exclusive"');
  }
  return mode as TransactionMode;
}

/** ROLLBACK_FAILED: what failed first, and that the rollback after it failed too. */
export function rollbackFailed(rollback: unknown, after?: unknown): WebSqliteError {
  const why = (e: unknown) => (e instanceof Error ? e.message : String(e));
  return new WebSqliteError(
    "ROLLBACK_FAILED",
    `the rollback ${after === undefined ? "" : `after "${why(after)}" `}failed (${why(rollback)}); ` +
      "the transaction is still open: close the database, which rolls it back",
    { cause: rollback },
  );
}

/** What a synchronous transaction callback returned; a promise is a TypeError. */
export function synchronous<R>(result: R): R {
  if (typeof (result as { then?: unknown } | null)?.then === "function") {
    throw new TypeError(
      "transaction/savepoint callbacks must be synchronous; use the Promise API's " +
        "db.transaction() for async code",
    );
  }
  return result;
}

export class TransactionController {
  private readonly connection: Connection;
  /** One entry per open level: its savepoint, or null for the level that ran BEGIN. */
  private readonly levels: (string | null)[] = [];

  constructor(connection: Connection) {
    this.connection = connection;
  }

  /** Opens a level (always a savepoint when savepoint is set); returns its number. */
  begin(mode: TransactionMode = "deferred", savepoint = false): number {
    const level = this.levels.length;
    const name = `wsq_sp_${level}`;
    const outer = !savepoint && level === 0 && this.connection.state().autocommit;
    this.connection.exec(outer ? `BEGIN ${checkMode(mode).toUpperCase()}` : `SAVEPOINT ${name}`);
    this.levels.push(outer ? null : name);
    return level;
  }

  /** Commits level (and any level still open inside it). */
  commit(level: number): void {
    const name = this.level(level, "commit");
    this.connection.exec(name === null ? "COMMIT" : `RELEASE ${name}`);
    this.levels.length = level;
  }

  /**
   * Rolls back level (and any level inside it), unless SQLite already rolled the transaction
   * back. A failure is ROLLBACK_FAILED; after names the error that led to the rollback.
   */
  rollback(level: number, after?: unknown): void {
    const name = this.level(level, "rollback");
    try {
      if (!this.connection.state().autocommit) {
        this.connection.exec(name === null ? "ROLLBACK" : `ROLLBACK TO ${name}; RELEASE ${name}`);
      }
    } catch (e) {
      // The levels stay as they are: the transaction is still open, and rollback(level) may be
      // tried again (closing the database rolls it back too).
      throw rollbackFailed(e, after);
    }
    this.levels.length = level;
  }

  /**
   * Runs fn in a level of its own: committed when fn returns, rolled back when it throws. fn
   * must be synchronous: a returned promise is refused, and the level rolled back.
   */
  run<R>(fn: () => R, mode: TransactionMode = "deferred", savepoint = false): R {
    const level = this.begin(mode, savepoint);
    let result: R;
    try {
      result = synchronous(fn());
      this.commit(level);
    } catch (e) {
      this.rollback(level, e);
      throw e;
    }
    return result;
  }

  private level(level: number, what: string): string | null {
    if (!Number.isInteger(level) || level < 0 || level >= this.levels.length) {
      throw new WebSqliteError(
        "TRANSACTION_ACTIVE",
        `${what}: transaction level ${level} is not open (${this.levels.length} open)`,
      );
    }
    return this.levels[level];
  }
}
