/**
 * The rules of migrations and changesets that both APIs share: the synchronous API runs them
 * here, and the Promise API checks its arguments with the same functions before the worker runs
 * them here.
 */
import { ConflictPolicy } from "../generated/constants.js";
import { SQLiteError, WebSqliteError, carryAutocommit } from "../errors.js";
import type { Connection } from "./connection.js";
import { type TransactionController, synchronous } from "./transaction.js";

/** What recording changes and migrating need of a database (a Database of the synchronous API). */
export interface Changeable {
  readonly name: string;
  readonly connection: Connection;
  readonly transactions: TransactionController;
}

/** What applying a changeset does with a change that conflicts with the database. */
export type OnConflict = "omit" | "replace" | "abort";

export const ON_CONFLICT: readonly OnConflict[] = ["omit", "replace", "abort"];

export interface ApplyOptions {
  /**
   * "abort" (default): any conflict fails the call (SQLITE_ABORT naming it) and nothing is
   * applied. "omit": conflicting changes are left out, the rest applied. "replace": the
   * changeset's row wins over the row there (a change to a row that is gone is left out; a
   * change that breaks a constraint still aborts).
   */
  onConflict?: OnConflict;
}

/** The conflict policy of options, checked: a TypeError names the three there are. */
export function onConflictOf(options: ApplyOptions | undefined): OnConflict {
  const policy = options?.onConflict ?? "abort";
  if (!ON_CONFLICT.includes(policy)) {
    throw new TypeError('applyChangeset: onConflict must be "omit", "replace" or "abort"');
  }
  return policy;
}

const POLICIES: Record<OnConflict, number> = {
  omit: ConflictPolicy.OMIT,
  replace: ConflictPolicy.REPLACE,
  abort: ConflictPolicy.ABORT,
};

/** A changeset as bytes; anything else is a TypeError at the call site. */
export function changesetBytes(what: string, changeset: unknown): Uint8Array {
  if (changeset instanceof Uint8Array) return changeset;
  if (changeset instanceof ArrayBuffer) return new Uint8Array(changeset);
  throw new TypeError(`${what}: the changeset must be a Uint8Array or an ArrayBuffer`);
}

/** Applies a changeset on connection, all or nothing. */
export function applyChangeset(
  connection: Connection,
  changeset: Uint8Array,
  onConflict: OnConflict,
): { conflicts: number } {
  return connection.applyChangeset(changeset, POLICIES[onConflict]);
}

/**
 * Runs fn in a transaction of db while SQLite's session extension records what it changes;
 * the changeset is taken before the commit, so no other connection's later writes mix in.
 */
export function recordChanges<R>(
  db: Changeable,
  fn: () => R,
): { result: R; changeset: Uint8Array } {
  const connection = db.connection;
  const session = connection.startSession();
  let changeset: Uint8Array | null = null;
  try {
    return db.transactions.run(() => {
      const result = synchronous(fn());
      changeset = connection.sessionChangeset(session, true);
      return { result, changeset };
    });
  } finally {
    if (changeset === null && connection.isOpen) connection.sessionChangeset(session, true);
  }
}

/** One migration: SQL (a script of any number of statements), with a name for errors. */
export interface Migration {
  name?: string;
  sql: string;
}

/** What migrate() did: the database went from version `from` to version `to`. */
export interface MigrationResult {
  from: number;
  to: number;
}

/** The steps of a migration list as { name, sql }; anything else is a TypeError. */
export function migrationSteps(steps: unknown): { name: string | null; sql: string }[] {
  if (!Array.isArray(steps)) {
    throw new TypeError("migrate: expected an array of migrations (SQL text or { name, sql })");
  }
  return steps.map((step, i) => {
    if (typeof step === "string") return { name: null, sql: step };
    const { name, sql } = (step ?? {}) as Migration;
    if (typeof sql !== "string" || (name !== undefined && typeof name !== "string")) {
      throw new TypeError(
        `migrate: migration ${i + 1} must be SQL text or { name?: string, sql: string }`,
      );
    }
    return { name: name ?? null, sql };
  });
}

/** An error of one item of a list (a batch, migrations), naming the item; its code is kept. */
export function itemFailed(e: unknown, item: string): unknown {
  if (!(e instanceof SQLiteError)) return e;
  const named = new SQLiteError(e.resultCode, `${item}: ${e.message}`, { offset: e.offset });
  return carryAutocommit(e, named);
}

/**
 * Brings db to the version steps.length: the steps past PRAGMA user_version run, in order, in
 * one IMMEDIATE transaction that sets user_version at its end, so they run once and all or
 * nothing. A failing step rolls every step back and is named in the error.
 */
export function migrate(
  db: Changeable,
  steps: { name: string | null; sql: string }[],
): MigrationResult {
  return db.transactions.run(() => {
    const from = Number(db.connection.exec("PRAGMA user_version", null, { rows: true }).rows[0][0]);
    if (from > steps.length) {
      throw new WebSqliteError(
        "MIGRATION_NEWER",
        `migrate: the database '${db.name}' is at version ${from}, past the ${steps.length} ` +
          `migrations given: a newer version of the app migrated it. Run that version, or ` +
          `give every migration it has`,
      );
    }
    for (let i = from; i < steps.length; i++) {
      const { name, sql } = steps[i];
      try {
        db.connection.exec(sql);
      } catch (e) {
        throw itemFailed(e, `migration ${i + 1}${name === null ? "" : ` ("${name}")`}`);
      }
    }
    if (steps.length > from) db.connection.exec(`PRAGMA user_version = ${steps.length}`);
    return { from, to: steps.length };
  }, "immediate");
}
