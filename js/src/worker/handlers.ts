/**
 * What the worker does for each request of the protocol (requests.ts declares them): one
 * handler per request, under its name; the compiler asks for a handler for every declaration,
 * and types its arguments from it. The client's result types come from here (Result).
 */
import { isPersistent } from "../runtime/storages.js";
import {
  SyncDatabase,
  type IoStats,
  type SelfTestReport,
  selfTest,
} from "../bindings/sync-database.js";
import { SQLiteError, misuse } from "../errors.js";
import { applyChangeset, itemFailed, migrate } from "../bindings/changes.js";
import { engineOf, startSync, stopSync } from "../pgsync/engine.js";
import { Connection, VFS, invertChangeset } from "../bindings/connection.js";
import { FileKind, OpenFlag, ResultCode as RC } from "../generated/constants.js";
import { type DatabaseStore, checkBrowserName, chunksOf, openHere } from "../runtime/store.js";
import type { Runtime } from "../runtime/runtime.js";
import { streamOfPort } from "./stream-port.js";
import type { Dispatcher } from "./dispatcher.js";
import { notHolder } from "./election.js";
import { type Args, type RequestType, isPort } from "./requests.js";

/** A handler for every request, typed by its declaration. */
type Handlers = { [K in RequestType]: (w: Dispatcher, args: Args<K>) => unknown };

export const HANDLERS = {
  load: async (w, { broker }) => {
    if (broker) w.options.joined?.(broker);
    void w.stores.preferred(); // chosen while the wasm loads (OPFS tries a file)
    return { sqliteVersion: (await w.runtime()).sqliteVersion };
  },
  join: (w, { broker }) => {
    w.options.joined?.(broker);
    return null;
  },
  follow: async (w, { name, key }) => {
    checkBrowserName(name);
    return { holder: w.options.election ? await w.options.election.follow(name, key) : true };
  },
  unfollow: (w, { name, key }) => {
    w.options.election?.unfollow(name, key);
    return null;
  },
  open: async (w, { name, storage, durability, busyTimeoutMs, shared, key }) => {
    const election = w.options.election;
    if (shared && election && !election.holds(name)) throw notHolder(name);
    const where = storage && !isPersistent(storage) ? storage : (await w.stores.of(storage)).kind;
    const db = await SyncDatabase.open(name, {
      storage: where,
      durability,
      key,
      environment: w.environment,
    });
    if (busyTimeoutMs !== null) db.connection.busyTimeout(busyTimeoutMs);
    return {
      db: w.databases.addFor(db, w.client),
      storage: where,
      path: db.connection.path,
      sqliteVersion: db.connection.runtime.sqliteVersion,
    };
  },
  rekey: async (w, { db, key }) => {
    await w.databases.get(db).rekey(key);
    return null;
  },
  close: async (w, { db }) => {
    await stopSync(w, db);
    return w.databases.close(db);
  },
  exec: (w, { db, sql, params, rows, deadline }) =>
    w.connection(db, deadline).execRaw(sql, params, rows),
  prepare: (w, { db, sql }) => {
    const stmt = w.connection(db).prepare(sql);
    if (!stmt) throw misuse("prepare: the SQL text holds no statement");
    return { stmt: w.statements.add(stmt), columns: stmt.columns().names };
  },
  run: (w, { stmt, params, rows, first, deadline }) =>
    w.statement(stmt, deadline).runRaw(params, rows, true, first),
  finalize: (w, { stmt }) => {
    w.statements.finalize(stmt);
    return null;
  },
  iterate: (w, { db, sql, params, chunkRows, deadline }) => {
    const { cursor, chunk } = w.connection(db, deadline).openCursor(sql, params, chunkRows);
    return { cursor: cursor ? w.statements.addCursor(cursor) : 0, chunk };
  },
  next: (w, { cursor, chunkRows, deadline }) => {
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
  batch: (w, { db, items, deadline }) => {
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
  begin: (w, { db, mode }) => ({ level: w.transactions(db).begin(mode) }),
  commit: (w, { db, level }) => {
    w.transactions(db).commit(level);
    return null;
  },
  rollback: (w, { db, level, after }) => {
    w.transactions(db).rollback(level, after ?? undefined);
    return null;
  },
  tablesRead: (w, { db, sql }) => w.connection(db).tablesRead(sql),
  migrate: (w, { db, steps }) => migrate(w.databases.get(db), steps),
  record: (w, { db }) => ({ session: w.connection(db).startSession() }),
  changeset: (w, { db, session }) => w.connection(db).sessionChangeset(session, true),
  applyChangeset: (w, { db, changeset, onConflict, deadline }) =>
    applyChangeset(w.connection(db, deadline), changeset, onConflict),
  syncStart: (w, { db, url, tables, headers }) => startSync(w, db, { url, tables, headers }),
  syncPoint: (w, { db }) => engineOf(w, db).point(),
  syncState: (w, { db }) => engineOf(w, db).state(),
  syncStop: (w, { db }) => stopSync(w, db),
  invertChangeset: async (w, { changeset }) => invertChangeset(await w.runtime(), changeset),
  export: (w, { db }) => w.connection(db).export(),
  import: async (w, { name, storage, source, deadline }) => {
    const bytes = isPort(source) ? streamOfPort(source) : source;
    let scratch: string | null = null;
    try {
      const store = await w.stores.of(storage);
      store.path(name);
      if (store.isAcquired(name)) throw openHere(name, "import over");
      const runtime = await w.runtime();
      const total: { bytes: number; kind: number } = { bytes: 0, kind: FileKind.OTHER };
      const kindOf = (head: Uint8Array) => runtime.fileKind(head);
      try {
        scratch = await store.writeScratch(
          name,
          databaseBytes(chunksOf(bytes, deadline), total, kindOf),
        );
        // An encrypted database cannot be checked without its key: the next open proves it.
        if (total.kind === FileKind.PLAIN) await checkImport(runtime, store, scratch);
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
  delete: async (w, { name, storage }) => (await w.stores.of(storage)).remove(name),
  stats: (w, { db }): IoStats => w.databases.get(db).stats(),
  selfTest: async (w, { storage }): Promise<SelfTestReport> =>
    selfTest(storage ?? undefined, { environment: w.environment }),
  list: async (w, { storage }) => (await w.stores.of(storage)).list(),
} satisfies Handlers;

/** Opens scratch with SQLite and checks it: an import never replaces a database with junk. */
async function checkImport(runtime: Runtime, store: DatabaseStore, scratch: string): Promise<void> {
  await store.acquire(scratch);
  try {
    const c = Connection.open(runtime, scratch, {
      vfs: VFS.host,
      flags: OpenFlag.SQLITE_OPEN_READWRITE,
    });
    try {
      const { rows } = c.exec("PRAGMA quick_check", null, { rows: true });
      if (rows.length !== 1 || rows[0][0] !== "ok") {
        throw new SQLiteError(
          RC.SQLITE_CORRUPT,
          `importDatabase: the database is corrupt (quick_check: ${String(rows[0]?.[0])})`,
        );
      }
    } finally {
      c.close();
    }
  } finally {
    await store.release(scratch);
  }
}

/** What a request's handler answers (the client's type of its result). */
export type Result<K extends RequestType> = Awaited<ReturnType<(typeof HANDLERS)[K]>>;

/**
 * Checks that a stream of bytes starts like a database (kindOf: the core's FileKind of its first
 * 100 bytes), and switches a plain WAL-mode header to rollback mode (an imported file comes
 * without its WAL). Counts the bytes into total, and says there what kind of file it is.
 */
async function* databaseBytes(
  chunks: AsyncIterable<Uint8Array>,
  total: { bytes: number; kind: number },
  kindOf: (head: Uint8Array) => number,
): AsyncIterable<Uint8Array> {
  let head: Uint8Array | null = new Uint8Array(0);
  const notADatabase = () =>
    new SQLiteError(
      RC.SQLITE_NOTADB,
      "importDatabase: the bytes are not a SQLite database (no 'SQLite format 3' header) nor " +
        "an encrypted one",
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
    total.kind = kindOf(joined);
    if (total.kind === FileKind.OTHER) throw notADatabase();
    // An encrypted file's header is the cipher's to check: it stays as it is.
    if (total.kind === FileKind.PLAIN && joined[18] === 2 && joined[19] === 2) {
      joined[18] = joined[19] = 1;
    }
    head = null;
    yield joined;
  }
  if (head) throw notADatabase();
}
