/**
 * Transactions of the Promise API: while db.transaction(fn) runs, the database belongs to fn's
 * `tx` argument (core.owner). Calls made directly on `db` in that time reject at once with
 * TRANSACTION_ACTIVE instead of waiting (waiting would deadlock a callback that awaits them);
 * prepared statements are the exception (a Statement runs on the connection and so joins
 * whatever transaction is open). tx.transaction() nests with a savepoint.
 */
import { checkMode } from "../bindings/transaction.js";
import { WebSqliteError } from "../errors.js";
import type { DatabaseCore, Owner } from "./core.js";
import type { TransactionOptions } from "./options.js";
import { Queryable } from "./queryable.js";

/** A transaction in progress: the same query methods as Database, inside the transaction. */
export class Transaction extends Queryable implements Owner {
  /** @internal */
  protected readonly caller: Transaction;
  /** The transaction this one is nested in, or null for the outermost one. */
  private readonly parent: Transaction | null;
  private done = false;
  /** @internal rejects (TRANSACTION_ACTIVE) once this transaction is over: nested ones race it. */
  readonly ended: Promise<never>;
  private rejectEnded!: (e: Error) => void;

  /** @internal use Database.transaction() */
  constructor(core: DatabaseCore, parent: Transaction | null) {
    super(core);
    this.caller = this;
    this.parent = parent;
    this.ended = new Promise<never>((_, reject) => (this.rejectEnded = reject));
    this.ended.catch(() => {});
  }

  /** @internal the database's moves count when the outermost transaction began. */
  beganAt: number | undefined;

  /** @internal see beganAt; undefined until the outermost BEGIN succeeded. */
  get began(): number | undefined {
    return this.parent ? this.parent.began : this.beganAt;
  }

  /** 0 for the outermost transaction. */
  get depth(): number {
    return this.parent ? this.parent.depth + 1 : 0;
  }

  /** @internal it, or a transaction it is nested in, has ended (its callback has returned). */
  get finished(): boolean {
    return this.done || (this.parent?.finished ?? false);
  }

  set finished(value: boolean) {
    this.done = value;
  }

  /** A transaction nested in this one (a savepoint); see Database.transaction(). */
  transaction<R>(
    fn: (tx: Transaction) => Promise<R> | R,
    options: TransactionOptions = {},
  ): Promise<R> {
    return runTransaction(this.core, this, fn, options);
  }

  /** @internal the transaction is over: a nested one still waiting on its callback ends too. */
  end(): void {
    this.done = true;
    this.rejectEnded(
      new WebSqliteError(
        "TRANSACTION_ACTIVE",
        "the enclosing transaction ended (rolled back) while this nested one was still running",
      ),
    );
  }
}

/**
 * Runs fn in a transaction of the database (caller: the transaction it nests in, or null): it
 * commits when fn's promise resolves and rolls back when it rejects. The steps run in the
 * worker's transaction controller (bindings/transaction.ts).
 */
export async function runTransaction<R>(
  core: DatabaseCore,
  caller: Transaction | null,
  fn: (tx: Transaction) => Promise<R> | R,
  options: TransactionOptions,
): Promise<R> {
  const db = core.check(caller, "transaction");
  const mode = checkMode(options.mode ?? "deferred");
  const parent = caller;
  const tx = new Transaction(core, parent);
  core.owner = tx; // from here on, calls on the parent are refused
  const end = () => {
    tx.end();
    // The outermost level ends every level inside it, even one whose callback still hangs.
    if (core.owner === tx || !parent) core.owner = parent;
    if (!parent) {
      core.rolledBack = null;
      core.ownerEnded();
    }
  };
  let level: number;
  try {
    ({ level } = await core.request("begin", { db, mode }, [], true));
    if (!parent) tx.beganAt = core.moves;
  } catch (e) {
    end();
    throw e;
  }
  let result: R;
  try {
    const work = (async () => fn(tx))();
    // The outermost level bounds the time the database is held idle; a nested one ends when
    // the level around it does (its callback may hang after the outer one timed out).
    result = await (parent ? Promise.race([work, parent.ended]) : core.idleBound(work));
    if (core.owner !== tx) {
      throw new WebSqliteError(
        "TRANSACTION_ACTIVE",
        "the transaction callback returned while a nested tx.transaction() was still running: " +
          "await it before returning; nothing was committed",
      );
    }
    tx.finished = true;
    if (core.rolledBack) throw core.lost("the transaction", "nothing of it was committed");
    await core.request("commit", { db, level }, [], true);
  } catch (e) {
    tx.finished = true;
    // The worker rolls the level back unless SQLite already did, or the level around this
    // one already ended it; a rollback that fails (ROLLBACK_FAILED) is what the caller needs
    // to know first.
    try {
      if (core.alive && !parent?.finished) {
        const after = e instanceof Error ? e.message : String(e);
        await core.request("rollback", { db, level, after }, [], true);
      }
    } finally {
      end();
    }
    throw e;
  }
  end();
  return result;
}
