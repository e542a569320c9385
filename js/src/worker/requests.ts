/**
 * Every request of the protocol, defined once: the shape of its arguments (checked by the worker
 * before anything runs) and its handler. The client's types come from here too (protocol.ts:
 * Args, Result), so adding a request is one entry in this table.
 */
import {
  SyncDatabase,
  type IoStats,
  type SelfTestReport,
  selfTest,
} from "../bindings/sync-database.js";
import { SQLiteError, misuse } from "../errors.js";
import { ON_CONFLICT, applyChangeset, itemFailed, migrate } from "../bindings/changes.js";
import { invertChangeset } from "../bindings/connection.js";
import { ResultCode as RC } from "../generated/constants.js";
import { checkBrowserName, chunksOf, openHere } from "../runtime/store.js";
import { streamOfPort } from "./stream-port.js";
import type { Dispatcher } from "./dispatcher.js";
import { notHolder } from "./election.js";
import {
  DURABILITIES,
  type Infer,
  PERSISTENT,
  type RequestDefinition,
  STORAGES,
  type Shape,
  arrayOf,
  boolean,
  bytes,
  instance,
  nullable,
  number,
  object,
  oneOf,
  string,
} from "./protocol.js";

function request<S extends Shape, R>(
  args: S,
  run: (worker: Dispatcher, args: Infer<S>) => R,
): RequestDefinition<S, Dispatcher, R> {
  return { args, check: object(args), run };
}

const params = nullable(bytes);
const isPort = (v: unknown): v is MessagePort =>
  typeof MessagePort !== "undefined" && v instanceof MessagePort;

const port = instance<MessagePort>("a MessagePort", isPort);

/** An import's bytes: all of them, or a port serving a stream of them (stream-port.ts). */
const source = instance<Uint8Array | MessagePort>(
  "a Uint8Array or a MessagePort",
  (v) => v instanceof Uint8Array || isPort(v),
);

export const REQUESTS = {
  /**
   * Loads the wasm (the first open does too): a client times start-up apart from opening. A
   * page that shares databases with other tabs sends its port to the broker along.
   */
  load: request({ broker: nullable(port) }, async (w, { broker }) => {
    if (broker) w.options.joined?.(broker);
    void w.stores.preferred(); // chosen while the wasm loads (OPFS tries a file)
    return { sqliteVersion: (await w.runtime()).sqliteVersion };
  }),
  /** A port to a new broker, after the one the page's worker had ended. */
  join: request({ broker: port }, (w, { broker }) => {
    w.options.joined?.(broker);
    return null;
  }),
  /**
   * The page opens a database shared with other tabs: this worker takes its Web Lock if it is
   * free (holder: true, open it here) or waits in line for it (open it at the holder).
   */
  follow: request({ name: string, key: number }, async (w, { name, key }) => {
    checkBrowserName(name);
    return { holder: w.options.election ? await w.options.election.follow(name, key) : true };
  }),
  /** The page closed a database it had followed (key: the page's number for it). */
  unfollow: request({ name: string, key: number }, (w, { name, key }) => {
    w.options.election?.unfollow(name, key);
    return null;
  }),
  /**
   * shared: the database is shared with other tabs, and opens only at its holder. storage null:
   * the worker's preferred persistent storage; the answer says which.
   */
  open: request(
    {
      name: string,
      storage: nullable(oneOf(STORAGES)),
      durability: oneOf(DURABILITIES),
      busyTimeoutMs: nullable(number),
      shared: boolean,
    },
    async (w, { name, storage, durability, busyTimeoutMs, shared }) => {
      const election = w.options.election;
      if (shared && election && !election.holds(name)) throw notHolder(name);
      const runtime = await w.runtime();
      const where = storage === "memory" ? storage : (await w.stores.of(storage)).kind;
      const db = await SyncDatabase.open(name, {
        storage: where,
        durability,
        environment: { runtime, stores: w.stores },
      });
      if (busyTimeoutMs !== null) db.connection.busyTimeout(busyTimeoutMs);
      return {
        db: w.databases.addFor(db, w.client),
        storage: where,
        path: db.connection.path,
        sqliteVersion: runtime.sqliteVersion,
      };
    },
  ),
  close: request({ db: number }, (w, { db }) => w.databases.close(db)),
  /** Runs a script; the result buffer holds rows when rows is set. */
  exec: request(
    { db: number, sql: string, params, rows: boolean, deadline: number },
    (w, { db, sql, params, rows, deadline }) =>
      w.connection(db, deadline).execRaw(sql, params, rows),
  ),
  prepare: request({ db: number, sql: string }, (w, { db, sql }) => {
    const stmt = w.connection(db).prepare(sql);
    if (!stmt) throw misuse("prepare: the SQL text holds no statement");
    return { stmt: w.statements.add(stmt), columns: stmt.columns().names };
  }),
  /** One whole execution of a prepared statement; with first, only up to its first row (get). */
  run: request(
    { stmt: number, params: bytes, rows: boolean, first: boolean, deadline: number },
    (w, { stmt, params, rows, first, deadline }) =>
      w.statement(stmt, deadline).runRaw(params, rows, true, first),
  ),
  /** Finalizes a prepared statement or an iteration cursor. */
  finalize: request({ stmt: number }, (w, { stmt }) => {
    w.statements.finalize(stmt);
    return null;
  }),
  /**
   * Starts streaming one statement's rows: the first chunk of at most chunkRows rows, with the
   * column names. cursor is 0 when the chunk was the last (the statement is finalized).
   */
  iterate: request(
    { db: number, sql: string, params, chunkRows: number, deadline: number },
    (w, { db, sql, params, chunkRows, deadline }) => {
      const { cursor, chunk } = w.connection(db, deadline).openCursor(sql, params, chunkRows);
      return { cursor: cursor ? w.statements.addCursor(cursor) : 0, chunk };
    },
  ),
  /** The next chunk of a cursor; the cursor is finalized after its last chunk or an error. */
  next: request(
    { cursor: number, chunkRows: number, deadline: number },
    (w, { cursor, chunkRows, deadline }) => {
      const stmt = w.statement(cursor, deadline);
      try {
        const { chunk, more } = stmt.stepRaw(chunkRows);
        if (!more) w.statements.finalize(cursor);
        return { done: !more, chunk };
      } catch (e) {
        w.statements.finalize(cursor);
        throw e;
      }
    },
  ),
  /** Statements in one level of the database's transactions: all or nothing. */
  batch: request(
    { db: number, items: arrayOf(object({ sql: string, params })), deadline: number },
    (w, { db, items, deadline }) => {
      const connection = w.connection(db, deadline);
      return w.databases.get(db).transactions.run(() =>
        items.map(({ sql, params }, i) => {
          try {
            return connection.execRaw(sql, params, true);
          } catch (e) {
            // Numbered from 1, as a person counts the statements of the list.
            throw itemFailed(e, `batch item ${i + 1}`);
          }
        }),
      );
    },
  ),
  /** The steps of the Promise API's transaction(): begin answers with the level it opened. */
  begin: request(
    { db: number, mode: oneOf(["deferred", "immediate", "exclusive"] as const) },
    (w, { db, mode }) => ({ level: w.transactions(db).begin(mode) }),
  ),
  commit: request({ db: number, level: number }, (w, { db, level }) => {
    w.transactions(db).commit(level);
    return null;
  }),
  /** after: the message of the error that led to the rollback, for ROLLBACK_FAILED to name. */
  rollback: request(
    { db: number, level: number, after: nullable(string) },
    (w, { db, level, after }) => {
      w.transactions(db).rollback(level, after ?? undefined);
      return null;
    },
  ),
  /** The tables a query reads (for db.watch): the names its database's change events use. */
  tablesRead: request({ db: number, sql: string }, (w, { db, sql }) =>
    w.connection(db).tablesRead(sql),
  ),
  /** Runs the migrations past the database's user_version (bindings/changes.ts). */
  migrate: request(
    { db: number, steps: arrayOf(object({ name: nullable(string), sql: string })) },
    (w, { db, steps }) => migrate(w.databases.get(db), steps),
  ),
  /** Starts recording the changes of the database's connection (recordChanges). */
  record: request({ db: number }, (w, { db }) => ({ session: w.connection(db).startSession() })),
  /** The changes a recording holds, as a changeset; it ends with this request. */
  changeset: request({ db: number, session: number }, (w, { db, session }) =>
    w.connection(db).sessionChangeset(session, true),
  ),
  applyChangeset: request(
    { db: number, changeset: bytes, onConflict: oneOf(ON_CONFLICT), deadline: number },
    (w, { db, changeset, onConflict, deadline }) =>
      applyChangeset(w.connection(db, deadline), changeset, onConflict),
  ),
  invertChangeset: request({ changeset: bytes }, async (w, { changeset }) =>
    invertChangeset(await w.runtime(), changeset),
  ),
  /** The database file's bytes. */
  export: request({ db: number }, (w, { db }) => w.connection(db).export()),
  /** Replaces (or creates) a database from a file's bytes, after checking them. */
  import: request(
    { name: string, storage: nullable(oneOf(PERSISTENT)), source, deadline: number },
    async (w, { name, storage, source, deadline }) => {
      const bytes = isPort(source) ? streamOfPort(source) : source;
      let scratch: string | null = null;
      try {
        const store = await w.stores.of(storage);
        store.path(name);
        if (store.isAcquired(name)) throw openHere(name, "import over");
        const runtime = await w.runtime();
        const total = { bytes: 0 };
        try {
          scratch = await store.writeScratch(name, databaseBytes(chunksOf(bytes, deadline), total));
          await w.checkImport(runtime, store, scratch);
          if (store.isAcquired(name)) throw openHere(name, "import over");
          await store.replace(scratch, name);
        } catch (e) {
          if (scratch) await store.discard(scratch);
          throw e;
        }
        return { bytes: total.bytes };
      } finally {
        // A stream not read to its end (a failed import) lets the page's side go.
        if (bytes instanceof ReadableStream) await bytes.cancel().catch(() => {});
      }
    },
  ),
  delete: request(
    { name: string, storage: nullable(oneOf(PERSISTENT)) },
    async (w, { name, storage }) => (await w.stores.of(storage)).remove(name),
  ),
  /** The I/O counters of a database since it was opened. */
  stats: request({ db: number }, (w, { db }): IoStats => w.databases.get(db).stats()),
  /** The VFS self-test of a storage. */
  selfTest: request(
    { storage: nullable(oneOf(STORAGES)) },
    async (w, { storage }): Promise<SelfTestReport> =>
      selfTest(storage ?? undefined, {
        environment: { runtime: await w.runtime(), stores: w.stores },
      }),
  ),
  list: request({ storage: nullable(oneOf(PERSISTENT)) }, async (w, { storage }) =>
    (await w.stores.of(storage)).list(),
  ),
};

const SQLITE_HEADER = "SQLite format 3\0";

/**
 * Checks that a stream of bytes starts like a SQLite database, and switches a WAL-mode header
 * to rollback mode (an imported file comes without its WAL). Counts the bytes into total.
 */
async function* databaseBytes(
  chunks: AsyncIterable<Uint8Array>,
  total: { bytes: number },
): AsyncIterable<Uint8Array> {
  let head: Uint8Array | null = new Uint8Array(0);
  const notADatabase = () =>
    new SQLiteError(
      RC.SQLITE_NOTADB,
      "importDatabase: the bytes are not a SQLite database (no 'SQLite format 3' header)",
    );
  for await (const chunk of chunks) {
    total.bytes += chunk.length;
    if (!head) {
      yield chunk;
      continue;
    }
    const joined: Uint8Array = new Uint8Array(head.length + chunk.length);
    joined.set(head);
    joined.set(chunk, head.length);
    if (joined.length < 100) {
      head = joined;
      continue;
    }
    if (String.fromCharCode(...joined.subarray(0, 16)) !== SQLITE_HEADER) throw notADatabase();
    if (joined[18] === 2 && joined[19] === 2) joined[18] = joined[19] = 1;
    head = null;
    yield joined;
  }
  if (head) throw notADatabase();
}
