/**
 * The synchronous API suite, one suite for two contexts: node:test runs it in Node on files
 * (js/test/sync-api.test.ts) with the library as tsc builds it, and a dedicated worker in
 * Chromium runs it on OPFS (e2e/sync-api.test.mjs) with the browser bundle. A case throws to
 * fail.
 */
import type * as Library from "../../src/sync.js";
import type { SQLiteError, WebSqliteError } from "../../src/sync.js";
import type { PersistentStorage } from "../../src/runtime/storages.js";
import { CHOOSES_ITS_KEYS, eq, ok, throws } from "./check.js";

export interface SuiteContext {
  /** The library under test. */
  sync: typeof Library;
  /** The persistent storage of this context. */
  storage: PersistentStorage;
  /** A database name of its own for a case (a path in Node). */
  name(base: string): string;
}

export type Case = [name: string, run: (ctx: SuiteContext) => void | Promise<void>];

const code = (e: unknown) => (e as WebSqliteError).code;

/**
 * The library with key given to every Database.open that chooses none: the suite again, every
 * database encrypted (the cases of KEYLESS aside).
 */
export function keyed(sync: typeof Library, key: Library.Key): typeof Library {
  class Database extends sync.Database {
    static override open(name: string, options: Library.DatabaseOptions = {}) {
      return super.open(name, { key, ...options });
    }
  }
  return { ...sync, Database };
}

/** The cases the keyed run leaves out, each with why (the hosts report them skipped so). */
export const KEYLESS: ReadonlyMap<string, string> = new Map([
  ["opens an encrypted database with its key, refuses others, and rekeys", CHOOSES_ITS_KEYS],
]);

export const cases: Case[] = [
  [
    "opens, runs scripts and selects in every shape",
    async (ctx) => {
      const db = await ctx.sync.Database.open(ctx.name("select.db"), { storage: ctx.storage });
      eq(db.storage, ctx.storage, "storage");
      db.exec(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, score REAL);" +
          "INSERT INTO t(name, score) VALUES ('ada', 1.5), ('bob', 2), ('cy', NULL)",
      );
      eq(db.selectValue("SELECT count(*) FROM t"), 3, "selectValue");
      eq(db.selectValue("SELECT name FROM t WHERE id = ?", [99]), undefined, "no row");
      eq(db.selectValues("SELECT name FROM t ORDER BY id"), ["ada", "bob", "cy"], "selectValues");
      eq(db.selectObject("SELECT * FROM t WHERE name = :n", { n: "bob" }), {
        id: 2,
        name: "bob",
        score: 2,
      });
      eq(db.selectObjects("SELECT id FROM t WHERE score IS NOT NULL ORDER BY id"), [
        { id: 1 },
        { id: 2 },
      ]);
      eq(db.selectArrays("SELECT id, score FROM t ORDER BY id"), [
        [1, 1.5],
        [2, 2],
        [3, null],
      ]);
      db.close();
    },
  ],
  [
    "exec hands rows out as arrays, objects or values, to a callback or an array",
    async (ctx) => {
      const db = await ctx.sync.Database.open(ctx.name("exec.db"), { storage: ctx.storage });
      eq(db.exec("CREATE TABLE t(a, b); INSERT INTO t VALUES (1, 'x'), (2, 'y')"), db, "chains");
      const seen: unknown[] = [];
      const columnNames: string[] = [];
      const rows = db.exec("SELECT a, b FROM t WHERE a >= ? ORDER BY a", {
        bind: [1],
        rowMode: "object",
        callback: (row, i) => seen.push([i, row]),
        columnNames,
        returnValue: "resultRows",
      });
      eq(rows, [
        { a: 1, b: "x" },
        { a: 2, b: "y" },
      ]);
      eq(seen, [
        [0, { a: 1, b: "x" }],
        [1, { a: 2, b: "y" }],
      ]);
      eq(columnNames, ["a", "b"], "columnNames");
      const resultRows: unknown[] = [];
      db.exec("SELECT b FROM t ORDER BY a", { rowMode: "value", resultRows });
      eq(resultRows, ["x", "y"], "value rows");
      eq(db.exec("SELECT a FROM t ORDER BY a", { returnValue: "resultRows" }), [[1], [2]]);
      throws(
        () => db.exec("INSERT INTO t VALUES (3, 'z')", { rowMode: "bogus" as never }),
        (e) => e instanceof TypeError,
        "bad rowMode",
      );
      eq(db.selectValue("SELECT count(*) FROM t"), 2, "a bad rowMode runs nothing");
      db.close();
    },
  ],
  [
    "binds, steps and reads a statement every way, and iterates it",
    async (ctx) => {
      const db = await ctx.sync.Database.open(ctx.name("stmt.db"), { storage: ctx.storage });
      db.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, data BLOB)");
      const insert = db.prepare("INSERT INTO t(name, data) VALUES (?, ?)");
      insert.bind(["ada", new Uint8Array([1, 2])]).step();
      insert.reset().bind(1, "bob").bind(2, null).step();
      eq(db.changes(), 1, "changes");
      eq(db.lastInsertRowid(), 2, "lastInsertRowid");
      insert.finalize();
      const q = db.prepare("SELECT id, name, data FROM t WHERE id >= :min ORDER BY id");
      eq(q.columnCount, 3, "columnCount");
      eq(q.getColumnNames(), ["id", "name", "data"], "names");
      q.bind(":min", 1);
      ok(q.step(), "a first row");
      eq(q.value(1), "ada", "value(index)");
      eq(q.row([]), [1, "ada", new Uint8Array([1, 2])], "row([])");
      eq(q.row({}), { id: 1, name: "ada", data: new Uint8Array([1, 2]) }, "row({})");
      throws(
        () => q.value(3),
        (e) => e instanceof RangeError && /0 to 2/.test((e as Error).message),
        "value past the last column",
      );
      throws(
        () => (q.row as (t: unknown) => unknown)(0),
        (e) => e instanceof TypeError && /value\(index\)/.test((e as Error).message),
        "row(number) says to use value",
      );
      ok(q.step(), "a second row");
      eq(q.row(), [2, "bob", null], "row()");
      ok(!q.step(), "the end");
      throws(
        () => q.value(0),
        (e) => code(e) === "SQLITE_MISUSE",
        "value after the end",
      );
      throws(
        () => q.row(),
        (e) => code(e) === "SQLITE_MISUSE",
        "row after the end",
      );
      q.reset();
      eq(
        [...q].map((r) => r.name),
        ["ada", "bob"],
        "iteration",
      );
      q.bind({ min: 2 });
      eq([...q], [{ id: 2, name: "bob", data: null }], "iteration after bind");
      throws(
        () => q.bind(5, 1),
        (e) => code(e) === "SQLITE_RANGE",
        "index out of range",
      );
      throws(
        () => q.bind("nope", 1),
        (e) => code(e) === "SQLITE_RANGE",
        "unknown name",
      );
      throws(
        () => q.bind([undefined as never]),
        (e) => e instanceof TypeError,
        "bad value",
      );
      q.clearBindings();
      eq([...q], [], "NULL min matches nothing");
      q.finalize();
      q.finalize();
      throws(
        () => q.step(),
        (e) => code(e) === "SQLITE_MISUSE",
        "finalized",
      );
      db.close();
    },
  ],
  [
    "commits and rolls back transactions, nests savepoints, refuses async callbacks",
    async (ctx) => {
      const db = await ctx.sync.Database.open(ctx.name("tx.db"), { storage: ctx.storage });
      db.exec("CREATE TABLE t(v)");
      eq(
        db.transaction((d) => {
          d.exec("INSERT INTO t VALUES (1)");
          try {
            d.savepoint((s) => {
              s.exec("INSERT INTO t VALUES (2)");
              throw new Error("undo 2");
            });
          } catch {
            // the savepoint is rolled back; the transaction goes on
          }
          d.transaction((inner) => inner.exec("INSERT INTO t VALUES (3)"));
          return "done";
        }),
        "done",
        "transaction result",
      );
      throws(
        () =>
          db.transaction((d) => {
            d.exec("INSERT INTO t VALUES (4)");
            throw new RangeError("undo 4");
          }),
        (e) => e instanceof RangeError,
        "the callback's error",
      );
      throws(
        () => db.transaction(async () => {}),
        (e) => e instanceof TypeError && /synchronous/.test(e.message),
        "async callback",
      );
      eq(db.selectValues("SELECT v FROM t ORDER BY v"), [1, 3], "rows");
      eq(db.selectValue("SELECT count(*) FROM t WHERE v = 4"), 0, "no trace");
      db.close();
    },
  ],
  [
    "reports typed errors, and keeps the database usable after them",
    async (ctx) => {
      const db = await ctx.sync.Database.open(ctx.name("errors.db"), { storage: ctx.storage });
      db.exec("CREATE TABLE t(v UNIQUE)");
      db.exec("INSERT INTO t VALUES (1)");
      const e = throws(
        () => db.exec("INSERT INTO t VALUES (1)"),
        (x) => x instanceof ctx.sync.SQLiteError && x.code === "SQLITE_CONSTRAINT_UNIQUE",
        "constraint",
      ) as SQLiteError;
      eq(e.resultCode, 2067, "extended code");
      const syntax = throws(
        () => db.exec("SELECT * FRM t"),
        (x) => x instanceof ctx.sync.SQLiteError && x.code === "SQLITE_ERROR",
        "syntax",
      ) as SQLiteError;
      eq(syntax.offset, 9, "offset of the bad token");
      eq(db.selectValue("SELECT count(*) FROM t"), 1, "intact");
      const open = db.prepare("SELECT v FROM t");
      db.close();
      db.close();
      throws(
        () => open.step(),
        (x) => code(x) === "SQLITE_MISUSE",
        "statement of a closed db",
      );
      throws(
        () => db.exec("SELECT 1"),
        (x) => /closed/.test(x.message),
        "closed db",
      );
    },
  ],
  [
    "opens read-only and read-write without creating, and persists across reopening",
    async (ctx) => {
      const name = ctx.name("modes.db");
      let err: unknown = null;
      try {
        await ctx.sync.Database.open(ctx.name("missing.db"), {
          storage: ctx.storage,
          mode: "readwrite",
        });
      } catch (e) {
        err = e;
      }
      eq(code(err), "SQLITE_CANTOPEN", "readwrite on a missing database");
      const db = await ctx.sync.Database.open(name, { storage: ctx.storage });
      db.exec("CREATE TABLE t(v); INSERT INTO t VALUES ('kept')");
      await db.closeAsync();
      const ro = await ctx.sync.Database.open(name, { storage: ctx.storage, mode: "readonly" });
      eq(ro.selectValue("SELECT v FROM t"), "kept", "persisted");
      throws(
        () => ro.exec("INSERT INTO t VALUES (1)"),
        (e) => e instanceof ctx.sync.SQLiteError && e.code.startsWith("SQLITE_READONLY"),
        "read-only",
      );
      await ro.closeAsync();
    },
  ],
  [
    "opens one database twice at the same moment: both share its files, each closes alone",
    async (ctx) => {
      const name = ctx.name("twice.db");
      const [a, b] = await Promise.all([
        ctx.sync.Database.open(name, { storage: ctx.storage }),
        ctx.sync.Database.open(name, { storage: ctx.storage }),
      ]);
      a.exec("CREATE TABLE t(v); INSERT INTO t VALUES ('from a')");
      eq(b.selectValue("SELECT v FROM t"), "from a", "b sees a's commit");
      await a.closeAsync();
      b.exec("INSERT INTO t VALUES ('from b')");
      eq(b.selectValue("SELECT count(*) FROM t"), 2, "b goes on after a closed");
      await b.closeAsync();
      const c = await ctx.sync.Database.open(name, { storage: ctx.storage, mode: "readonly" });
      eq(c.selectValue("SELECT count(*) FROM t"), 2, "both commits kept");
      await c.closeAsync();
    },
  ],
  [
    "opens an encrypted database with its key, refuses others, and rekeys",
    async (ctx) => {
      const name = ctx.name("sealed.db");
      const { Database } = ctx.sync;
      const db = await Database.open(name, { storage: ctx.storage, key: "sync passphrase" });
      db.exec("CREATE TABLE t(v); INSERT INTO t VALUES ('kept')");
      await db.closeAsync();
      let err: unknown = null;
      try {
        await Database.open(name, { storage: ctx.storage, key: "wrong" });
      } catch (e) {
        err = e;
      }
      eq(code(err), "WRONG_KEY", "a wrong key");
      err = null;
      try {
        await Database.open(name, { storage: ctx.storage });
      } catch (e) {
        err = e;
      }
      eq(code(err), "KEY_REQUIRED", "no key");
      const again = await Database.open(name, { storage: ctx.storage, key: "sync passphrase" });
      eq(again.selectValue("SELECT v FROM t"), "kept", "read with the key");
      await again.rekey(null);
      await again.closeAsync();
      const plain = await Database.open(name, { storage: ctx.storage });
      eq(plain.selectValue("SELECT v FROM t"), "kept", "decrypted");
      await plain.rekey(new Uint8Array(32).fill(9));
      await plain.closeAsync();
      const raw = await Database.open(name, {
        storage: ctx.storage,
        key: new Uint8Array(32).fill(9),
      });
      eq(raw.selectValue("SELECT v FROM t"), "kept", "encrypted again, with raw bytes");
      await raw.closeAsync();
    },
  ],
  [
    "keeps 64-bit integers and every value type",
    async (ctx) => {
      const db = await ctx.sync.Database.open(ctx.name("values.db"), { storage: ctx.storage });
      db.exec("CREATE TABLE t(v)");
      const values = [null, 0, -1.5, 2n ** 62n, "héllo 🌍", "", new Uint8Array(0), true];
      const insert = db.prepare("INSERT INTO t VALUES (?)");
      for (const v of values) insert.bind([v]).step();
      insert.finalize();
      eq(db.selectValues("SELECT v FROM t ORDER BY rowid"), [
        null,
        0,
        -1.5,
        2n ** 62n,
        "héllo 🌍",
        "",
        new Uint8Array(0),
        1,
      ]);
      db.exec("INSERT INTO t(rowid, v) VALUES (9007199254740993, 'big')");
      eq(db.lastInsertRowid(), 9007199254740993n, "bigint rowid");
      db.close();
    },
  ],
  [
    "counts the I/O of a database, and passes the VFS self-test",
    async (ctx) => {
      const db = await ctx.sync.Database.open(ctx.name("stats.db"), { storage: ctx.storage });
      db.exec("CREATE TABLE t(v)");
      const before = db.stats();
      db.exec("INSERT INTO t VALUES (randomblob(10000))");
      const after = db.stats();
      // One durable commit: one flush, the WAL's (a rollback journal would make four).
      eq(after.syncs - before.syncs, 1, "syncs per commit");
      eq(after.truncates - before.truncates, 0, "truncates per commit");
      ok(after.writeBytes - before.writeBytes >= 10000, "the bytes written");
      ok(after.syncMs >= before.syncMs, "time in syncs");
      db.close();
      const mem = await ctx.sync.Database.open(ctx.name("stats-memory"), { storage: "memory" });
      mem.exec("CREATE TABLE t(v); INSERT INTO t VALUES (1)");
      eq(mem.stats().writes, 0, "memory databases do no host I/O");
      mem.close();
      for (const storage of [ctx.storage, "memory"] as const) {
        const report = await ctx.sync.selfTest(storage);
        eq(report.storage, storage, "storage");
        eq(
          report.steps.map((s) => s.step),
          [
            "open",
            "write",
            "read",
            "sync",
            "size",
            "truncate",
            "short-read",
            "lock",
            "close",
            "access",
            "delete",
          ],
          "steps",
        );
        ok(
          report.ok,
          `every step of ${storage}: ${JSON.stringify(report.steps.filter((s) => !s.ok))}`,
        );
      }
    },
  ],
  [
    "runs scalar and aggregate functions written in JavaScript",
    async (ctx) => {
      const db = await ctx.sync.Database.open(ctx.name("functions.db"), { storage: ctx.storage });
      db.createFunction(
        "slug",
        (s) =>
          String(s)
            .toLowerCase()
            .replace(/[^a-z0-9]+/g, "-"),
        {
          deterministic: true,
          innocuous: true, // usable in the schema (the index below) with trusted_schema off
        },
      );
      db.createFunction("concat_all", (...parts) => parts.join("+"), { arity: -1 });
      db.createFunction("big", () => 2n ** 60n);
      db.createFunction("bytes", (n) => new Uint8Array(Number(n)).fill(7));
      db.createFunction("product", { start: () => 1, step: (acc, x) => acc * Number(x) });
      db.createFunction("longest", {
        step: (acc: string | null, s) =>
          acc === null || String(s).length > acc.length ? String(s) : acc,
        final: (acc) => acc ?? "none",
      });
      db.exec(
        "CREATE TABLE t(g, v, s); INSERT INTO t VALUES (1, 2, 'ab'), (1, 3, 'abc'), (2, 5, 'x')",
      );
      eq(db.selectValue("SELECT slug('Hello, World!')"), "hello-world-", "scalar");
      eq(db.selectValue("SELECT concat_all(1, 'a', NULL, 2.5)"), "1+a++2.5", "varargs");
      eq(db.selectValue("SELECT big()"), 2n ** 60n, "bigint result");
      eq(db.selectValue("SELECT bytes(3)"), new Uint8Array([7, 7, 7]), "blob result");
      eq(
        db.selectArrays("SELECT g, product(v), longest(s) FROM t GROUP BY g ORDER BY g"),
        [
          [1, 6, "abc"],
          [2, 5, "x"],
        ],
        "aggregates per group",
      );
      eq(db.selectArrays("SELECT product(v), longest(s) FROM t WHERE 0"), [[1, "none"]], "empty");
      // An index on a deterministic function.
      db.exec("CREATE INDEX t_slug ON t(slug(s))");
      eq(db.selectValue("SELECT count(*) FROM t WHERE slug(s) = 'abc'"), 1, "indexed");
      db.createFunction("boom", () => {
        throw new Error("boom went the function");
      });
      throws(
        () => db.exec("SELECT boom()"),
        (e) => e instanceof ctx.sync.SQLiteError && /boom went the function/.test(e.message),
        "a throwing function",
      );
      db.createFunction("odd", () => ({ not: "a value" }));
      throws(
        () => db.exec("SELECT odd()"),
        (e) => e instanceof ctx.sync.SQLiteError && /unsupported value/.test(e.message),
        "an unsupported result",
      );
      db.createFunction("reentrant", () => db.selectValue("SELECT 1"));
      throws(
        () => db.exec("SELECT reentrant()"),
        (e) => e instanceof ctx.sync.SQLiteError && /cannot use the database/.test(e.message),
        "using the database inside a function",
      );
      throws(
        () => db.createFunction("bad name", () => 1),
        (e) => e instanceof TypeError,
        "name",
      );
      eq(db.selectValue("SELECT slug('Still Works')"), "still-works", "usable after errors");
      db.close();
    },
  ],
  [
    "migrates, records changes as a changeset, applies and inverts it",
    async (ctx) => {
      const db = await ctx.sync.Database.open(ctx.name("changes.db"), { storage: ctx.storage });
      const replica = new ctx.sync.Database(ctx.name("changes-replica"), { storage: "memory" });
      const steps = [
        "CREATE TABLE items(id INTEGER PRIMARY KEY, label TEXT)",
        { name: "log", sql: "CREATE TABLE log(line)" },
      ];
      eq(db.migrate(steps), { from: 0, to: 2 }, "migrated");
      eq(db.migrate(steps), { from: 2, to: 2 }, "once");
      eq(replica.migrate(steps), { from: 0, to: 2 }, "the replica too");
      const e = throws(
        () => db.migrate([...steps, "CREATE TABLE x(y)", { name: "bad", sql: "SELEC 1" }]),
        (e) => code(e) === "SQLITE_ERROR",
        "a failing step",
      ) as Error;
      ok(e.message.startsWith('migration 4 ("bad"): near "SELEC"'), e.message);
      eq(db.selectValue("PRAGMA user_version"), 2, "the version before");
      eq(db.selectValue("SELECT count(*) FROM sqlite_schema WHERE name = 'x'"), 0, "rolled back");

      const { result, changeset } = db.recordChanges((d) => {
        d.exec("INSERT INTO items(label) VALUES ('a'), ('b'); INSERT INTO log VALUES ('two')");
        return d.lastInsertRowid();
      });
      eq(result, 1, "fn's result");
      eq(replica.applyChangeset(changeset), { conflicts: 0 }, "applied");
      const content = (d: typeof db) => d.selectArrays("SELECT * FROM items ORDER BY id");
      eq(content(replica), content(db), "the same content");
      replica.exec("UPDATE items SET label = 'B' WHERE id = 2");
      const { changeset: next } = db.recordChanges((d) => d.exec("UPDATE items SET label = 'bb'"));
      throws(
        () => replica.applyChangeset(next),
        (e) => code(e) === "SQLITE_ABORT",
        "abort",
      );
      eq(replica.applyChangeset(next, { onConflict: "omit" }), { conflicts: 1 }, "omit");
      eq(
        content(replica),
        [
          [1, "bb"],
          [2, "B"],
        ],
        "the conflicting change left out",
      );
      eq(replica.applyChangeset(db.invertChangeset(next), { onConflict: "omit" }), {
        conflicts: 1,
      });
      eq(
        content(replica),
        [
          [1, "a"],
          [2, "B"],
        ],
        "inverted",
      );
      throws(
        () => db.recordChanges(() => Promise.resolve()),
        (e) => e instanceof TypeError,
        "an async callback is refused",
      );
      throws(
        () => replica.applyChangeset(new Uint8Array(8).fill(7)),
        (e) => code(e) === "SQLITE_CORRUPT",
        "damaged bytes",
      );
      eq(db.selectValue("SELECT count(*) FROM items"), 2, "usable after");
      db.close();
      replica.close();
      throws(
        () => db.invertChangeset(next),
        (e) => code(e) === "SQLITE_MISUSE",
        "closed",
      );
    },
  ],
];
