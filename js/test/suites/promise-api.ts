/**
 * The Promise API suite, one suite for every host: node:test runs it in Node on files
 * (js/test/api.test.ts) with the library as tsc builds it, and a page in Chromium runs it on OPFS
 * (e2e/promise-api.test.mjs) with the browser bundle. A case throws to fail.
 *
 * Timeouts here are the thing under test, on statements or callbacks that provably never end;
 * every other statement runs on a handle without one, or with a generous one, so a busy machine
 * passes.
 */
import type * as Library from "../../src/index.js";
import type { PersistentStorage } from "../../src/runtime/storages.js";
import { appCases } from "./app-tools.js";
import { encryptionCases } from "./encryption.js";
import { CHOOSES_ITS_KEYS, arrivals, eq, ok, rejects } from "./check.js";

export interface PromiseSuiteContext {
  /** The library under test. */
  wsq: typeof Library;
  /** The persistent storage of this host. */
  storage: PersistentStorage;
  /** A database name of the case's own. */
  name(base: string): string;
  /** A URL whose server accepts the request and never answers (a wasm that never loads). */
  neverAnswers: string;
  /**
   * The bytes of database name's files as the storage keeps them (the database, its WAL, its
   * journal: those that exist). whileOpen: it is open; a storage that cannot be read then
   * (OPFS's files are locked by their handles) gives none.
   */
  bytesAtRest(name: string, whileOpen: boolean): Promise<Uint8Array[]>;
}

export type Case = [name: string, run: (ctx: PromiseSuiteContext) => Promise<void>];

const code = (e: unknown) => (e as { code?: string }).code;
const isCode = (c: string) => (e: unknown) => code(e) === c;

/** An INSERT from a query that never ends: only a deadline stops it. */
const ENDLESS =
  "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c) INSERT INTO t SELECT i FROM c";

/**
 * Two handles on a new database with a table t(v): plain, without a timeout, for setup and
 * checks, and db, with timeoutMs, for what is under test.
 */
async function plainAndTimed(wsq: typeof Library, file: string, timeoutMs: number) {
  const plain = await wsq.open(file);
  await plain.exec("CREATE TABLE t(v)");
  const db = await wsq.open(file, { timeoutMs });
  return { plain, db };
}

/** A promise that a test resolves when it chooses (a callback waits on it). */
function gate(): { wait: Promise<void>; open: () => void } {
  let open = () => {};
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

/** The tables of each change event a database hears, in order, as they come. */
function heard(db: Library.Database): {
  next(): Promise<string[]>;
  stop(): void;
  count(): number;
} {
  const events = arrivals<string[]>("a change event came");
  return { next: events.next, stop: db.onChange(events.push), count: events.count };
}

/**
 * The library with key given to every open that chooses none: the suite again, every database
 * encrypted (the cases of KEYLESS aside).
 */
export function keyed(wsq: typeof Library, key: Library.Key): typeof Library {
  return { ...wsq, open: (name, options = {}) => wsq.open(name, { key, ...options }) };
}

/** The cases the keyed run leaves out, each with why (the hosts report them skipped so). */
export const KEYLESS: ReadonlyMap<string, string> = new Map([
  ...encryptionCases.map(([name]): [string, string] => [name, CHOOSES_ITS_KEYS]),
  [
    "exports, imports bytes and streams under another name, lists and deletes",
    "reads SQLite's header in its export and imports a plain file's bytes",
  ],
]);

/**
 * The cases that open only memory databases: the same whatever the storage, so a host with
 * several (a browser: OPFS and IndexedDB) runs them with the first.
 */
export const MEMORY_ONLY: ReadonlySet<string> = new Set([
  "round-trips every value type and refuses the others at the call site",
  "streams 1,000,000 rows through iterate, and stops early on break",
  "says what was slow when a cold open runs past its timeout",
  "runs out of memory with a typed error at SQLite's limits, and stays usable",
  "has median, percentile and the other functions of the percentile extension",
]);

export const cases: Case[] = [
  [
    "tells every Database of a file which tables each commit changed",
    async ({ wsq, name }) => {
      const writer = await wsq.open(name("changes.db"));
      const reader = await wsq.open(name("changes.db"));
      await writer.exec(
        "CREATE TABLE t(v); CREATE TABLE u(v) ; CREATE TABLE w(k PRIMARY KEY, v) WITHOUT ROWID",
      );
      const events = heard(reader);
      const own = heard(writer);
      await writer.exec("INSERT INTO t VALUES (1)");
      eq(await events.next(), ["t"], "an autocommit insert");
      eq(await own.next(), ["t"], "the writer hears its own commits too");
      await writer.transaction(async (tx) => {
        await tx.exec("INSERT INTO u VALUES (1)");
        await tx.exec("UPDATE t SET v = 2");
        await tx.exec("INSERT INTO u VALUES (2)");
      });
      eq(await events.next(), ["u", "t"], "a transaction, each table once");
      await writer
        .transaction(async (tx) => {
          await tx.exec("INSERT INTO t VALUES (3)");
          throw new Error("undo");
        })
        .catch(() => {});
      await writer.batch(["INSERT INTO w VALUES (1, 1)", "DELETE FROM u"]);
      eq(
        await events.next(),
        ["w", "u"],
        "nothing for a rollback; WITHOUT ROWID and whole-table deletes count",
      );
      await writer.exec("CREATE TEMP TABLE scratch(v); INSERT INTO scratch VALUES (1)");
      const stmt = await writer.prepare("INSERT INTO t VALUES (?)");
      await stmt.run([4]);
      await stmt.finalize();
      eq(await events.next(), ["t"], "temp tables are the connection's own; statements count");
      events.stop();
      own.stop();
      // Stopped, and closed: nothing more is heard (a listener still on hears the same event).
      const closed = heard(reader);
      await reader.close();
      const still = heard(writer);
      await writer.exec("INSERT INTO t VALUES (5)");
      eq(await still.next(), ["t"], "a listener still on");
      eq(events.count() + closed.count(), 0, "stopped and closed listeners");
      await rejects(
        Promise.resolve().then(() => reader.onChange(() => {})),
        isCode("SQLITE_MISUSE"),
        "onChange on a closed database",
      );
      const memory = await wsq.open(name("changes-memory"), { storage: "memory" });
      const other = await wsq.open(name("changes-memory"), { storage: "memory" });
      await other.exec("CREATE TABLE m(v)");
      const mine = heard(memory);
      await other.exec("INSERT INTO m VALUES (1)");
      await memory.exec("CREATE TABLE n(v); INSERT INTO n VALUES (1)");
      eq(await mine.next(), ["n"], "a memory database hears only itself");
      for (const db of [writer, memory, other]) await db.close();
    },
  ],
  [
    "runs exec, query, queryArrays, sql, prepare and close",
    async ({ wsq, name, storage }) => {
      const db = await wsq.open(name("api.db"));
      eq(db.storage, storage, "storage");
      eq(
        await db.exec(
          "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT); INSERT INTO t(name) VALUES ('a'), ('b')",
        ),
        { changes: 2, lastInsertRowid: 2 },
        "script",
      );
      eq(await db.exec("INSERT INTO t(name) VALUES (:name)", { name: "c" }), {
        changes: 1,
        lastInsertRowid: 3,
      });
      eq(await db.query("SELECT id, name FROM t WHERE id > ? ORDER BY id", [1]), [
        { id: 2, name: "b" },
        { id: 3, name: "c" },
      ]);
      const arrays = await db.queryArrays("SELECT id, name FROM t ORDER BY id");
      eq(arrays.columns, ["id", "name"], "columns");
      eq(arrays.rows[0], [1, "a"], "first row");
      const evil = "x'); DROP TABLE t; --";
      eq(await db.sql`SELECT ${evil} AS v, ${2} + 1 AS n, ${10n ** 18n} AS big`, [
        { v: evil, n: 3, big: 10n ** 18n },
      ]);
      const stmt = await db.prepare("SELECT name FROM t WHERE id = ?");
      eq(stmt.columns, ["name"], "statement columns");
      eq(await stmt.get([3]), { name: "c" }, "get");
      eq(await stmt.get([99]), undefined, "get without a row");
      eq(await stmt.all([1]), [{ name: "a" }], "all");
      await rejects(stmt.all(), isCode("SQLITE_RANGE"), "a missing parameter");
      const insert = await db.prepare("INSERT INTO t(name) VALUES (?)");
      eq(await insert.run(["d"]), { changes: 1, lastInsertRowid: 4 }, "run");
      await stmt.finalize();
      await insert.finalize();
      await rejects(stmt.get([1]), isCode("SQLITE_MISUSE"), "a finalized statement");
      eq(await db.query("SELECT count(*) AS n FROM t"), [{ n: 4 }]);
      await db.close();
      await rejects(
        db.query("SELECT 1"),
        (e) =>
          e instanceof wsq.SQLiteError && code(e) === "SQLITE_MISUSE" && /closed/.test(e.message),
        "a closed database",
      );
      eq(db.isOpen, false, "isOpen");
    },
  ],
  [
    "round-trips every value type and refuses the others at the call site",
    async ({ wsq }) => {
      const db = await wsq.open("values", { storage: "memory" });
      await db.exec("CREATE TABLE v(x)");
      const values = [
        null,
        0,
        -1,
        2 ** 31,
        Number.MAX_SAFE_INTEGER,
        9007199254740993n,
        -(2n ** 63n),
        2n ** 63n - 1n,
        1.5,
        -0.25,
        "",
        "héllo 🌍",
        "nul\u0000inside",
        true,
        false,
        new Uint8Array([0, 1, 255]),
        new Uint8Array(0),
      ];
      for (const v of values) await db.exec("INSERT INTO v VALUES (?)", [v]);
      await db.exec("INSERT INTO v VALUES (?)", [new Uint8Array([7, 8]).buffer as never]);
      const { rows } = await db.queryArrays("SELECT x, typeof(x) FROM v ORDER BY rowid");
      eq(rows, [
        [null, "null"],
        [0, "integer"],
        [-1, "integer"],
        [2 ** 31, "integer"],
        [Number.MAX_SAFE_INTEGER, "integer"],
        [9007199254740993n, "integer"],
        [-(2n ** 63n), "integer"],
        [2n ** 63n - 1n, "integer"],
        [1.5, "real"],
        [-0.25, "real"],
        ["", "text"],
        ["héllo 🌍", "text"],
        ["nul\u0000inside", "text"],
        [1, "integer"],
        [0, "integer"],
        [new Uint8Array([0, 1, 255]), "blob"],
        [new Uint8Array(0), "blob"],
        [new Uint8Array([7, 8]), "blob"],
      ]);
      for (const bad of [undefined, () => 1, Symbol("s"), { a: 1 }, new Date(0), new Map()]) {
        await rejects(
          db.exec("SELECT ?", [bad as never]),
          (e) => e instanceof TypeError && /parameter 1/.test(e.message),
          `the value ${String(typeof bad)}`,
        );
      }
      await rejects(db.exec("SELECT ?", [2n ** 64n]), (e) => e instanceof RangeError, "2^64");
      eq(await db.query("SELECT count(*) AS n FROM v"), [{ n: 18 }], "nothing more ran");
      await db.close();
    },
  ],
  [
    "commits a transaction, rolls back on throw without a trace, nests with savepoints",
    async ({ wsq, name }) => {
      const db = await wsq.open(name("tx.db"));
      await db.exec("CREATE TABLE t(v)");
      const value = await db.transaction(async (tx) => {
        await tx.exec("INSERT INTO t VALUES ('kept')");
        await rejects(
          tx.transaction(async (inner) => {
            await inner.exec("INSERT INTO t VALUES ('inner-undone')");
            throw new Error("inner failure");
          }),
          (e) => (e as Error).message === "inner failure",
          "the inner transaction",
        );
        await tx.transaction((inner) => inner.exec("INSERT INTO t VALUES ('inner-kept')"));
        // A call on db inside the callback fails fast instead of deadlocking.
        await rejects(db.query("SELECT 1"), isCode("TRANSACTION_ACTIVE"), "db inside");
        return "returned";
      });
      eq(value, "returned", "the callback's value");
      await rejects(
        db.transaction(async (tx) => {
          await tx.exec("INSERT INTO t VALUES ('undone'); CREATE TABLE gone(x)");
          throw new RangeError("boom");
        }),
        (e) => e instanceof RangeError,
        "the failing transaction",
      );
      eq(await db.query("SELECT v FROM t ORDER BY rowid"), [{ v: "kept" }, { v: "inner-kept" }]);
      eq(await db.query("SELECT name FROM sqlite_schema WHERE name = 'gone'"), []);
      let saved: Library.Transaction | null = null;
      await db.transaction(async (tx) => {
        saved = tx;
      });
      await rejects(saved!.query("SELECT 1"), isCode("TRANSACTION_ACTIVE"), "a tx used after");
      // A failing COMMIT (a deferred foreign key) rolls back and rejects.
      await db.exec(
        "PRAGMA foreign_keys = ON; CREATE TABLE p(id PRIMARY KEY);" +
          "CREATE TABLE c(p REFERENCES p(id) DEFERRABLE INITIALLY DEFERRED)",
      );
      await rejects(
        db.transaction((tx) => tx.exec("INSERT INTO c VALUES (99)")),
        isCode("SQLITE_CONSTRAINT_FOREIGNKEY"),
        "the failing COMMIT",
      );
      eq(await db.query("SELECT * FROM c"), [], "nothing of it");
      await rejects(
        db.transaction(() => 1, { mode: "sometimes" as never }),
        (e) => e instanceof TypeError,
        "a bad mode",
      );
      await db.transaction((tx) => tx.exec("INSERT INTO t VALUES ('immediate')"), {
        mode: "immediate",
      });
      eq(await db.query("SELECT count(*) AS n FROM t"), [{ n: 3 }]);
      await db.close();
    },
  ],
  [
    "lets a prepared statement join an open transaction",
    async ({ wsq, name }) => {
      const db = await wsq.open(name("stmt-tx.db"));
      await db.exec("CREATE TABLE t(v)");
      const insert = await db.prepare("INSERT INTO t VALUES (?)");
      await rejects(
        db.transaction(async () => {
          for (let i = 0; i < 10; i++) await insert.run([i]);
          throw new Error("undo all ten");
        }),
        (e) => (e as Error).message === "undo all ten",
        "the transaction",
      );
      eq(await db.query("SELECT count(*) AS n FROM t"), [{ n: 0 }]);
      await insert.finalize();
      await db.close();
    },
  ],
  [
    "runs a batch atomically, inside a transaction as a savepoint, and names the failing item",
    async ({ wsq, name }) => {
      const db = await wsq.open(name("batch.db"));
      const r = await db.batch([
        "CREATE TABLE t(v UNIQUE)",
        ["INSERT INTO t VALUES (?)", [1]],
        { sql: "INSERT INTO t VALUES (:v)", params: { v: 2 } },
        "SELECT v FROM t ORDER BY v",
      ]);
      eq(r.length, 4, "results");
      eq(r[1], { rows: [], changes: 1, lastInsertRowid: 1 });
      eq(r[3].rows, [{ v: 1 }, { v: 2 }]);
      await rejects(
        db.batch([
          ["INSERT INTO t VALUES (?)", [3]],
          ["INSERT INTO t VALUES (?)", [1]],
        ]),
        // Numbered from 1: the second statement of the list.
        (e) =>
          code(e) === "SQLITE_CONSTRAINT_UNIQUE" && /^batch item 2: /.test((e as Error).message),
        "the failing batch",
      );
      await db.transaction(async (tx) => {
        await tx.exec("INSERT INTO t VALUES (10)");
        await rejects(
          tx.batch(["INSERT INTO t VALUES (11)", "INSERT INTO t VALUES (10)"]),
          isCode("SQLITE_CONSTRAINT_UNIQUE"),
          "inside",
        );
      });
      eq(await db.query("SELECT v FROM t ORDER BY v"), [{ v: 1 }, { v: 2 }, { v: 10 }]);
      await rejects(
        db.batch(["SELECT 1", 42 as never]),
        (e) => e instanceof TypeError && /item 2/.test((e as Error).message),
        "a bad item",
      );
      await db.close();
    },
  ],
  [
    "streams 1,000,000 rows through iterate, and stops early on break",
    async ({ wsq }) => {
      const db = await wsq.open("iterate", { storage: "memory" });
      const sql =
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) SELECT i FROM n";
      let count = 0;
      let ordered = true;
      for await (const row of db.iterate<{ i: number }>(sql, [1_000_000], { chunkRows: 4096 })) {
        if (row.i !== ++count) ordered = false;
      }
      eq(count, 1_000_000, "rows");
      ok(ordered, "the rows in order");
      let early = 0;
      for await (const _ of db.iterate(sql, [1000])) if (++early === 10) break;
      eq(early, 10, "the loop left early");
      const none: unknown[] = [];
      for await (const row of db.iterate("SELECT 1 WHERE 0")) none.push(row);
      eq(none, [], "no rows");
      await rejects(
        (async () => {
          for await (const _ of db.iterate("SELECT * FROM missing")) void _;
        })(),
        (e) => /no such table/.test((e as Error).message),
        "a bad query",
      );
      for (const chunkRows of [0, -1, 1.5, Number.NaN]) {
        await rejects(
          (async () => {
            for await (const _ of db.iterate("SELECT 1", [], { chunkRows })) void _;
          })(),
          (e) => e instanceof RangeError,
          `chunkRows ${chunkRows}`,
        );
      }
      // The connection is usable after the early exit (the cursor was finalized).
      eq(await db.query("SELECT 42 AS x"), [{ x: 42 }]);
      await db.close();
    },
  ],
  [
    "shares one database between two handles, and keeps it until both close",
    async ({ wsq, name }) => {
      const a = await wsq.open(name("shared-handles.db"));
      const b = await wsq.open(name("shared-handles.db"));
      await a.exec("CREATE TABLE t(v); INSERT INTO t VALUES ('from a')");
      eq(await b.query("SELECT v FROM t"), [{ v: "from a" }]);
      await a.close();
      await b.exec("INSERT INTO t VALUES ('from b after a closed')");
      eq(await b.query("SELECT v FROM t ORDER BY rowid"), [
        { v: "from a" },
        { v: "from b after a closed" },
      ]);
      await b.close();
    },
  ],
  [
    "keeps two databases apart at once",
    async ({ wsq, name }) => {
      const [a, b] = await Promise.all([wsq.open(name("two-a.db")), wsq.open(name("two-b.db"))]);
      await Promise.all([
        a.exec("CREATE TABLE t(v); INSERT INTO t VALUES ('a')"),
        b.exec("CREATE TABLE t(v); INSERT INTO t VALUES ('b')"),
      ]);
      eq(await Promise.all([a.query("SELECT v FROM t"), b.query("SELECT v FROM t")]), [
        [{ v: "a" }],
        [{ v: "b" }],
      ]);
      await a.close();
      await b.close();
    },
  ],
  [
    "opens with relaxed or full durability",
    async ({ wsq, name }) => {
      const db = await wsq.open(name("relaxed.db"), { durability: "relaxed" });
      eq(await db.query("PRAGMA synchronous"), [{ synchronous: 1 }], "relaxed: NORMAL");
      eq(await db.query("PRAGMA journal_mode"), [{ journal_mode: "wal" }]);
      await db.close();
      const full = await wsq.open(name("relaxed.db"));
      eq(await full.query("PRAGMA synchronous"), [{ synchronous: 2 }]);
      await full.close();
    },
  ],
  [
    "reads a snapshot while another Database of the file writes (WAL), and sees it after",
    async ({ wsq, name }) => {
      const writer = await wsq.open(name("wal.db"));
      const reader = await wsq.open(name("wal.db"));
      await writer.exec("CREATE TABLE t(v); INSERT INTO t VALUES (1)");
      await reader.transaction(async (tx) => {
        eq(await tx.query("SELECT count(*) AS n FROM t"), [{ n: 1 }]);
        // A rollback journal would refuse this commit (SQLITE_BUSY) while the reader reads.
        await writer.exec("INSERT INTO t VALUES (2)");
        eq(await tx.query("SELECT count(*) AS n FROM t"), [{ n: 1 }], "the reader's snapshot");
      });
      eq(await reader.query("SELECT count(*) AS n FROM t"), [{ n: 2 }]);
      await reader.close();
      await writer.close();
      const again = await wsq.open(name("wal.db"));
      eq(await again.query("SELECT count(*) AS n FROM t"), [{ n: 2 }], "checkpointed at close");
      await again.close();
    },
  ],
  [
    "reports a database's I/O and passes the storage's and memory's self-tests",
    async ({ wsq, name, storage }) => {
      const db = await wsq.open(name("stats.db"));
      await db.exec("CREATE TABLE t(v)");
      const before = await db.stats();
      await db.exec("INSERT INTO t VALUES (randomblob(5000))");
      const after = await db.stats();
      eq(after.syncs - before.syncs, 1, "flushes per durable commit (the WAL's)");
      ok(after.writeBytes - before.writeBytes >= 5000, "the bytes written");
      await db.close();
      for (const kind of [storage, "memory"] as const) {
        const report = await wsq.selfTest(kind);
        eq(report.storage, kind, "the storage tested");
        ok(report.ok, `the ${kind} self-test: ${JSON.stringify(report.steps)}`);
      }
      ok(!(await wsq.listDatabases()).some((n) => n.includes("self-test")), "no scratch listed");
    },
  ],
  [
    "exports, imports bytes and streams under another name, lists and deletes",
    async ({ wsq, name }) => {
      const db = await wsq.open(name("export.db"));
      await db.exec(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, b BLOB); " +
          "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) " +
          "INSERT INTO t SELECT i, randomblob(100) FROM n",
      );
      const summary = "SELECT count(*) AS n, sum(length(b)) AS s, hex(max(b)) AS m FROM t";
      const before = await db.query(summary);
      await rejects(
        db.transaction(() => db.export()),
        isCode("TRANSACTION_ACTIVE"),
        "in a tx",
      );
      const bytes = await db.export();
      eq(new TextDecoder().decode(bytes.subarray(0, 15)), "SQLite format 3", "the header");
      await db.close();
      eq(await wsq.importDatabase(name("copy.db"), bytes), { bytes: bytes.length }, "import");
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let at = 0; at < bytes.length; at += 7777) {
            controller.enqueue(bytes.slice(at, at + 7777));
          }
          controller.close();
        },
      });
      await wsq.importDatabase(name("streamed.db"), stream);
      const listed = await wsq.listDatabases();
      for (const base of ["copy.db", "export.db", "streamed.db"]) {
        ok(
          listed.some((n) => n.endsWith(name(base))),
          `${base} listed`,
        );
      }
      ok(!listed.some((n) => n.endsWith("-journal") || n.includes(".wsq-")), "only databases");
      eq(listed, [...listed].sort(), "sorted");
      for (const base of ["copy.db", "streamed.db"]) {
        const copy = await wsq.open(name(base));
        eq(await copy.query(summary), before, `the content of ${base}`);
        await copy.close();
      }
      // Junk and corrupt files are refused, and the database keeps its content.
      await rejects(
        wsq.importDatabase(name("copy.db"), new TextEncoder().encode("not a database at all")),
        isCode("SQLITE_NOTADB"),
        "junk",
      );
      const corrupt = bytes.slice();
      corrupt.fill(0xa5, 100, corrupt.length);
      await rejects(
        wsq.importDatabase(name("copy.db"), corrupt),
        (e) => e instanceof wsq.SQLiteError,
        "a corrupt file",
      );
      const kept = await wsq.open(name("copy.db"));
      eq(await kept.query(summary), before, "untouched");
      const again = await kept.export();
      eq(again.length, bytes.length, "the export of the import");
      await rejects(wsq.deleteDatabase(name("copy.db")), isCode("DATABASE_OPEN"), "delete open");
      await rejects(wsq.importDatabase(name("copy.db"), bytes), isCode("DATABASE_OPEN"), "import");
      await kept.close();
      eq(await wsq.deleteDatabase(name("copy.db")), true, "deleted");
      eq(await wsq.deleteDatabase(name("copy.db")), false, "deleted twice");
      ok(!(await wsq.listDatabases()).some((n) => n.endsWith(name("copy.db"))), "gone");
    },
  ],
  [
    "imports a stream pulled chunk by chunk; a stream that fails, yields a non-byte chunk or stalls is refused, the database untouched",
    async ({ wsq, name }) => {
      const db = await wsq.open(name("pulled.db"));
      await db.exec(
        "CREATE TABLE t(v); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n " +
          "WHERE i < 500) INSERT INTO t SELECT randomblob(300) FROM n",
      );
      const summary = "SELECT count(*) AS n, hex(max(v)) AS m FROM t";
      const before = await db.query(summary);
      const bytes = await db.export();
      await db.close();
      // Chunks that are views into a larger buffer; the source is read only when pulled: with
      // back-pressure, it is never far ahead of what was written.
      const whole = new Uint8Array(bytes.length + 64);
      whole.set(bytes, 32);
      let pulled = 0;
      const pulledStream = new ReadableStream<Uint8Array>(
        {
          pull(controller) {
            const at = pulled * 4096;
            if (at >= bytes.length) return controller.close();
            pulled++;
            controller.enqueue(whole.subarray(32 + at, 32 + Math.min(at + 4096, bytes.length)));
          },
        },
        { highWaterMark: 0 },
      );
      eq(
        await wsq.importDatabase(name("pulled-copy.db"), pulledStream),
        { bytes: bytes.length },
        "the pulled import",
      );
      eq(pulled, Math.ceil(bytes.length / 4096), "every chunk pulled once");
      const copy = await wsq.open(name("pulled-copy.db"));
      eq(await copy.query(summary), before, "the pulled copy");
      await copy.close();
      // Each refused import leaves the database of that name as it was.
      const failing = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(bytes.slice(0, 4096));
          controller.error(new Error("the disk went away"));
        },
      });
      await rejects(
        wsq.importDatabase(name("pulled-copy.db"), failing),
        (e) => /the disk went away/.test((e as Error).message),
        "a stream that fails",
      );
      const notBytes = new ReadableStream<unknown>({
        start(controller) {
          controller.enqueue("a string");
          controller.close();
        },
      });
      await rejects(
        wsq.importDatabase(name("pulled-copy.db"), notBytes as ReadableStream<Uint8Array>),
        (e) => /must yield Uint8Array chunks/.test((e as Error).message),
        "a chunk that is not bytes",
      );
      const stalled = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(bytes.slice(0, 4096)); // then nothing, ever
        },
      });
      await rejects(
        wsq.importDatabase(name("pulled-copy.db"), stalled, { timeoutMs: 1000 }),
        isCode("TIMEOUT"),
        "a stream that stalls",
      );
      const kept = await wsq.open(name("pulled-copy.db"));
      eq(await kept.query(summary), before, "untouched");
      await kept.close();
      ok(!(await wsq.listDatabases()).some((n) => n.includes(".wsq-")), "no scratch file left");
    },
  ],
  [
    "times out a request that never ends, interrupts it in the worker, and stays usable",
    async ({ wsq, name }) => {
      // The open is a request too: the timeout is generous, and only the endless statement
      // reaches it.
      const { plain, db } = await plainAndTimed(wsq, name("timeout.db"), 2000);
      await rejects(db.exec(ENDLESS), isCode("TIMEOUT"), "the endless statement");
      eq(await plain.query("SELECT count(*) AS n FROM t"), [{ n: 0 }], "rolled back");
      await db.close();
      await plain.close();
    },
  ],
  [
    "does not run a request that waited past its deadline behind another database",
    async ({ wsq, name }) => {
      // The endless query holds the worker for 5 s; the queued request, sent after it, has 2 s.
      // Both timeouts are generous for the opens, which are requests too.
      const { plain, db } = await plainAndTimed(wsq, name("queued.db"), 2000);
      const busy = await wsq.open("busy", { storage: "memory", timeoutMs: 5000 });
      const endless =
        "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c) SELECT max(i) FROM c";
      const long = rejects(busy.query(endless), isCode("TIMEOUT"), "the busy query");
      await rejects(db.exec("INSERT INTO t VALUES (1)"), isCode("TIMEOUT"), "the queued one");
      await long;
      eq(await plain.query("SELECT count(*) AS n FROM t"), [{ n: 0 }], "it never ran");
      await db.close();
      await plain.close();
      await busy.close();
    },
  ],
  [
    "refuses to go on in a transaction that SQLite rolled back, and commits none of it",
    async ({ wsq, name }) => {
      const db = await wsq.open(name("rolled-back.db"), { timeoutMs: 3000 });
      await db.exec("CREATE TABLE t(v)");
      const insert = await db.prepare("INSERT INTO t VALUES (?)");
      let afterwards: string | undefined = "";
      let statement: string | undefined = "";
      await rejects(
        db.transaction(async (tx) => {
          await tx.exec("INSERT INTO t VALUES ('first')");
          // Interrupted by the deadline: SQLite rolls back the whole transaction.
          await rejects(tx.exec(ENDLESS), isCode("TIMEOUT"), "the endless statement");
          afterwards = await tx.exec("INSERT INTO t VALUES ('lost')").then(() => "ran", code);
          statement = await insert.run(["also lost"]).then(() => "ran", code);
        }),
        isCode("TRANSACTION_ROLLED_BACK"),
        "the transaction",
      );
      eq(afterwards, "TRANSACTION_ROLLED_BACK", "a call on tx afterwards");
      eq(statement, "TRANSACTION_ROLLED_BACK", "a statement afterwards");
      eq(await db.query("SELECT count(*) AS n FROM t"), [{ n: 0 }]);
      // The database is usable, and the next transaction works.
      await db.transaction((tx) => tx.exec("INSERT INTO t VALUES ('next')"));
      eq(await db.query("SELECT v FROM t"), [{ v: "next" }]);
      await insert.finalize();
      await db.close();
    },
  ],
  [
    "rolls back a transaction whose callback never settles, and frees the database",
    async ({ wsq, name }) => {
      const { plain, db } = await plainAndTimed(wsq, name("hung.db"), 2000);
      // The callback waits for a gate opened only after the transaction timed out.
      const released = gate();
      let later: Promise<string | undefined> = Promise.resolve("");
      const hung = db.transaction(async (tx) => {
        await tx.exec("INSERT INTO t VALUES ('never committed')");
        await released.wait;
        later = tx.exec("INSERT INTO t VALUES ('too late')").then(() => "ran", code);
      });
      await rejects(db.query("SELECT 1"), isCode("TRANSACTION_ACTIVE"), "db while it hangs");
      await rejects(
        hung,
        (e) => code(e) === "TIMEOUT" && /held the database/.test((e as Error).message),
        "the hung transaction",
      );
      released.open();
      await new Promise((resolve) => setTimeout(resolve, 0));
      eq(await later, "TRANSACTION_ACTIVE", "the rolled-back callback's late call");
      eq(await db.query("SELECT count(*) AS n FROM t"), [{ n: 0 }], "rolled back");
      // A callback that never settles at all ends the same way, and the database is free again.
      await rejects(
        db.transaction(() => new Promise(() => {})),
        isCode("TIMEOUT"),
        "a callback that never settles",
      );
      await db.exec("INSERT INTO t VALUES ('works')");
      eq(await plain.query("SELECT v FROM t"), [{ v: "works" }]);
      await db.close();
      await plain.close();
    },
  ],
  [
    "ends a nested transaction with the one around it, and never lets a late one touch a newer one",
    async ({ wsq, name }) => {
      const db = await wsq.open(name("nested.db"), { timeoutMs: 2000 });
      await db.exec("CREATE TABLE t(v)");
      // A callback that returns without awaiting its nested transaction commits nothing.
      let inner: Promise<string | undefined> = Promise.resolve("");
      await rejects(
        db.transaction(async (tx) => {
          await tx.exec("INSERT INTO t VALUES ('outer')");
          inner = tx
            .transaction((t2) => t2.exec("INSERT INTO t VALUES ('inner')"))
            .then(() => "committed", code);
        }),
        (e) => code(e) === "TRANSACTION_ACTIVE" && /nested/.test((e as Error).message),
        "the outer transaction",
      );
      eq(await inner, "TRANSACTION_ACTIVE", "the nested one, left running");
      eq(await db.query("SELECT count(*) AS n FROM t"), [{ n: 0 }], "nothing committed");
      // A nested callback that hangs: the outer one times out, and the nested one ends with it.
      const released = gate();
      let nested: Promise<unknown> = Promise.resolve();
      let late: Promise<string | undefined> = Promise.resolve("");
      await rejects(
        db.transaction(async (tx) => {
          nested = tx.transaction(async (t2) => {
            await t2.exec("INSERT INTO t VALUES ('hung')");
            await released.wait;
            late = t2.exec("INSERT INTO t VALUES ('late')").then(() => "ran", code);
          });
          await nested;
        }),
        isCode("TIMEOUT"),
        "the outer transaction",
      );
      await rejects(nested, isCode("TRANSACTION_ACTIVE"), "the nested one ends too");
      // A newer transaction with a nested level of its own, while the old callback resumes.
      await db.transaction(async (tx) => {
        await tx.exec("INSERT INTO t VALUES ('new outer')");
        await tx.transaction(async (t2) => {
          released.open();
          await new Promise((resolve) => setTimeout(resolve, 0));
          eq(await late, "TRANSACTION_ACTIVE", "the old callback's late call");
          await t2.exec("INSERT INTO t VALUES ('new inner')");
        });
      });
      eq(await db.query("SELECT v FROM t ORDER BY rowid"), [
        { v: "new outer" },
        { v: "new inner" },
      ]);
      await db.close();
    },
  ],
  [
    "rejects pending calls when the worker stops, and opens again after",
    async ({ wsq, name }) => {
      const db = await wsq.open(name("crash.db"));
      await db.exec("CREATE TABLE t(v); INSERT INTO t VALUES ('committed')");
      const pending = db.exec(ENDLESS);
      wsq.shutdown();
      await rejects(pending, isCode("WORKER_DIED"), "the pending call");
      await rejects(db.query("SELECT 1"), isCode("WORKER_DIED"), "a later call");
      const again = await wsq.open(name("crash.db"));
      eq(await again.query("SELECT v FROM t"), [{ v: "committed" }]);
      await again.close();
    },
  ],
  [
    "says what was slow when a cold open runs past its timeout",
    async ({ wsq, neverAnswers }) => {
      // The open is the thing under test: its worker loads the wasm from a server that never
      // answers, so it never finishes starting.
      await rejects(
        wsq.open("cold", { storage: "memory", timeoutMs: 2000, wasm: neverAnswers }),
        (e) =>
          code(e) === "TIMEOUT" &&
          /the worker was still starting \(loading web-sqlite\.wasm/.test((e as Error).message),
        "the cold open",
      );
      // Another wasm is another worker: the page's usual one is untouched.
      const db = await wsq.open("cold", { storage: "memory" });
      eq(await db.query("SELECT 1 AS one"), [{ one: 1 }]);
      await db.close();
      wsq.shutdown(); // ends the worker still waiting for its wasm
    },
  ],
  [
    "answers bad input with typed errors and stays usable",
    async ({ wsq, name }) => {
      const db = await wsq.open(name("bad-input.db"));
      await db.exec("CREATE TABLE t(v)");
      const syntax = await db.exec("SELECT * FRM t").catch((e) => e);
      ok(syntax instanceof wsq.SQLiteError && syntax.code === "SQLITE_ERROR", "a syntax error");
      eq(syntax.offset, 9, "its offset");
      eq(syntax.resultCode, 1, "its result code");
      await rejects(
        db.exec("INSERT INTO t VALUES (?)", [1, 2]),
        isCode("SQLITE_RANGE"),
        "2 values",
      );
      await rejects(db.exec("INSERT INTO t VALUES (:v)", { w: 1 }), isCode("SQLITE_RANGE"), ":w");
      await rejects(db.exec("INSERT INTO t VALUES (1)", [1]), isCode("SQLITE_RANGE"), "no params");
      eq(await db.query("SELECT count(*) AS n FROM t"), [{ n: 0 }], "nothing ran");
      await rejects(wsq.open(""), (e) => e instanceof TypeError, "an empty name");
      await rejects(
        wsq.open(name("x.db"), { timeoutMs: Infinity }),
        (e) => e instanceof RangeError,
        "∞",
      );
      await rejects(
        wsq.open(name("x.db"), { timeoutMs: -1 }),
        (e) => e instanceof RangeError,
        "-1",
      );
      await rejects(wsq.open(name("data.db-journal")), isCode("INVALID_NAME"), "a journal's name");
      await rejects(wsq.open(name("data.db-wal")), isCode("INVALID_NAME"), "a WAL's name");
      await db.close();
    },
  ],
  [
    "runs out of memory with a typed error at SQLite's limits, and stays usable",
    async ({ wsq }) => {
      const db = await wsq.open("memory-limits", { storage: "memory" });
      // The documented default heap limit, which PRAGMA hard_heap_limit can lower.
      eq(await db.query("PRAGMA hard_heap_limit"), [{ hard_heap_limit: 2 ** 30 }]);
      // A value that keeps doubling stops at the length limit (128 MiB), well inside the heap.
      await rejects(
        db.query(
          "WITH RECURSIVE d(s) AS (SELECT 'x' UNION ALL SELECT s || s FROM d) SELECT length(s) FROM d",
        ),
        isCode("SQLITE_TOOBIG"),
        "a doubling string",
      );
      for (const sql of [
        "SELECT randomblob(500000000)",
        "SELECT zeroblob(2000000000)",
        "SELECT randomblob(1000000001)",
      ]) {
        await rejects(db.query(sql), isCode("SQLITE_TOOBIG"), sql);
      }
      // Values each within the length limit that together pass the heap limit.
      const blobs = Array.from(
        { length: 10 },
        (_, i) => `length(zeroblob(120000000) || 'x') AS b${i}`,
      );
      await rejects(
        db.query(`SELECT ${blobs.join(", ")}`),
        isCode("SQLITE_NOMEM"),
        "1.2 GB at once",
      );
      eq(await db.query("SELECT 'still here' AS s"), [{ s: "still here" }]);
      await db.close();
    },
  ],
  [
    "delivers SQLite's log to the open option's callback",
    async ({ wsq }) => {
      const lines: string[] = [];
      const db = await wsq.open("log", {
        storage: "memory",
        log: (c, m) => lines.push(`${c}: ${m}`),
      });
      await rejects(db.exec("SELECT * FROM nowhere"), isCode("SQLITE_ERROR"), "the bad query");
      await db.query("SELECT 1"); // the log event arrives before this answer
      ok(
        lines.some((l) => l.includes("no such table: nowhere")),
        `the log line in ${lines}`,
      );
      await db.close();
    },
  ],
  ...appCases,
  ...encryptionCases,
];
