// The rest of the Promise API in Node, with the shapes the browser has: transactions, the sql
// tag, iterate, batch, export / import / list / delete, timeouts, the log option.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import * as fs from "node:fs";
import { after, describe, it } from "node:test";

import {
  type Database,
  SQLiteError,
  WebSqliteError,
  deleteDatabase,
  importDatabase,
  listDatabases,
  open,
  selfTest,
  shutdown,
} from "../src/index.js";
import { tempDir } from "./helpers.js";

// Database names are paths relative to the working directory: work in a directory of our own
// (before the worker starts, so it sees it too).
const dir = tempDir();
process.chdir(dir);

const code = (e: unknown) => (e as WebSqliteError).code;

describe("the Promise API in Node", () => {
  after(() => {
    shutdown();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("commits, rolls back without a trace, nests with savepoints, and refuses db inside", async () => {
    const db = await open("tx.db");
    await db.exec("CREATE TABLE t(v)");
    const result = await db.transaction(async (tx) => {
      await tx.exec("INSERT INTO t VALUES (1)");
      await assert.rejects(
        tx.transaction(async (inner) => {
          await inner.exec("INSERT INTO t VALUES (2)");
          throw new Error("inner");
        }),
        /inner/,
      );
      await assert.rejects(db.query("SELECT 1"), (e) => code(e) === "TRANSACTION_ACTIVE");
      return (await tx.query<{ n: number }>("SELECT count(*) AS n FROM t"))[0].n;
    });
    assert.equal(result, 1);
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx.exec("INSERT INTO t VALUES (3)");
        throw new RangeError("outer");
      }),
      RangeError,
    );
    assert.deepEqual(await db.query("SELECT v FROM t"), [{ v: 1 }]);
    // A failing COMMIT (deferred foreign key) rolls back and rejects.
    await db.exec(
      "PRAGMA foreign_keys = ON; CREATE TABLE p(id PRIMARY KEY);" +
        "CREATE TABLE c(p REFERENCES p(id) DEFERRABLE INITIALLY DEFERRED)",
    );
    await assert.rejects(
      db.transaction((tx) => tx.exec("INSERT INTO c VALUES (99)")),
      (e) => e instanceof SQLiteError && e.code === "SQLITE_CONSTRAINT_FOREIGNKEY",
    );
    assert.deepEqual(await db.query("SELECT * FROM c"), []);
    assert.deepEqual(await db.exec("INSERT INTO t VALUES (4)"), { changes: 1, lastInsertRowid: 2 });
    await db.close();
  });

  it("lets a prepared statement join an open transaction", async () => {
    const db = await open("stmt-tx.db");
    await db.exec("CREATE TABLE t(v)");
    const insert = await db.prepare("INSERT INTO t VALUES (?)");
    await assert.rejects(
      db.transaction(async () => {
        for (let i = 0; i < 10; i++) await insert.run([i]);
        throw new Error("undo all ten");
      }),
    );
    assert.deepEqual(await db.query("SELECT count(*) AS n FROM t"), [{ n: 0 }]);
    await insert.finalize();
    await db.close();
  });

  it("binds every value of the sql tag as a parameter", async () => {
    const db = await open("tag.db", { storage: "memory" });
    const name = "Robert'); DROP TABLE students;--";
    await db.exec("CREATE TABLE students(name)");
    await db.sql`INSERT INTO students VALUES (${name})`;
    assert.deepEqual(await db.sql`SELECT name, ${10n ** 18n} AS big FROM students`, [
      { name, big: 10n ** 18n },
    ]);
    await assert.rejects(db.sql`SELECT ${undefined as never}`, /parameter 1/);
    await db.close();
  });

  it("streams rows with iterate without holding them, and cleans up on break", async () => {
    const db = await open("iter.db", { storage: "memory" });
    let n = 0;
    for await (const row of db.iterate<{ i: number }>(
      "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?) SELECT i FROM c",
      [10_000],
      { chunkRows: 333 },
    )) {
      assert.equal(row.i, ++n);
    }
    assert.equal(n, 10_000);
    for await (const _ of db.iterate("SELECT 1 UNION ALL SELECT 2")) break;
    const empty = [];
    for await (const row of db.iterate("SELECT 1 WHERE 0")) empty.push(row);
    assert.deepEqual(empty, []);
    await assert.rejects(async () => {
      for await (const _ of db.iterate("SELECT * FROM missing")) void _;
    }, /no such table/);
    assert.deepEqual(await db.query("SELECT 'still fine' AS s"), [{ s: "still fine" }]);
    await db.close();
  });

  it("runs a batch atomically, inside a transaction as a savepoint", async () => {
    const db = await open("batch.db");
    const r = await db.batch([
      "CREATE TABLE t(v UNIQUE)",
      ["INSERT INTO t VALUES (?)", [1]],
      { sql: "SELECT v FROM t" },
    ]);
    assert.deepEqual(r[2].rows, [{ v: 1 }]);
    await assert.rejects(
      db.batch(["INSERT INTO t VALUES (2)", "INSERT INTO t VALUES (1)"]),
      // Numbered from 1: the second statement of the list.
      (e) => e instanceof SQLiteError && /^batch item 2: UNIQUE/.test(e.message),
    );
    await db.transaction(async (tx) => {
      await tx.exec("INSERT INTO t VALUES (10)");
      await assert.rejects(tx.batch(["INSERT INTO t VALUES (11)", "INSERT INTO t VALUES (10)"]));
    });
    assert.deepEqual(await db.query("SELECT v FROM t ORDER BY v"), [{ v: 1 }, { v: 10 }]);
    await assert.rejects(db.batch([42 as never]), TypeError);
    await db.close();
  });

  it("exports, imports (bytes and streams), lists and deletes", async () => {
    const db = await open("source.db");
    await db.exec("CREATE TABLE t(v); INSERT INTO t VALUES ('payload')");
    await assert.rejects(
      db.transaction(() => db.export()),
      (e) => code(e) === "TRANSACTION_ACTIVE",
    );
    const bytes = await db.export();
    assert.equal(new TextDecoder().decode(bytes.subarray(0, 15)), "SQLite format 3");
    await db.close();
    assert.deepEqual(await importDatabase("copy.db", bytes), { bytes: bytes.length });
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let at = 0; at < bytes.length; at += 7) controller.enqueue(bytes.slice(at, at + 7));
        controller.close();
      },
    });
    await importDatabase("streamed.db", stream);
    for (const name of ["copy.db", "streamed.db"]) {
      const copy = await open(name);
      assert.deepEqual(await copy.query("SELECT v FROM t"), [{ v: "payload" }]);
      await copy.close();
    }
    fs.writeFileSync("notes.txt", "not a database");
    const listed = await listDatabases();
    for (const name of ["copy.db", "source.db", "streamed.db"]) assert.ok(listed.includes(name));
    assert.ok(!listed.includes("notes.txt"), "only SQLite files are listed");
    assert.deepEqual(listed, [...listed].sort());
    // Junk and corrupt files are refused, and the database keeps its content.
    await assert.rejects(
      importDatabase("copy.db", new Uint8Array(10)),
      (e) => code(e) === "SQLITE_NOTADB",
    );
    const corrupt = bytes.slice();
    corrupt.fill(0xa5, 100, corrupt.length);
    await assert.rejects(importDatabase("copy.db", corrupt), (e) => e instanceof SQLiteError);
    const kept = await open("copy.db");
    assert.deepEqual(await kept.query("SELECT v FROM t"), [{ v: "payload" }]);
    await assert.rejects(deleteDatabase("copy.db"), (e) => code(e) === "DATABASE_OPEN");
    await assert.rejects(importDatabase("copy.db", bytes), (e) => code(e) === "DATABASE_OPEN");
    await kept.close();
    assert.ok(!fs.readdirSync(".").some((f) => f.startsWith(".wsq-")), "no scratch left");
    assert.equal(await deleteDatabase("copy.db"), true);
    assert.equal(await deleteDatabase("copy.db"), false);
    assert.ok(!fs.existsSync("copy.db"));
  });

  it("removes the scratch file of an import that was killed, and keeps a live one", async () => {
    // Another process imports an endless stream of pages and is killed halfway.
    const index = new URL("../src/index.js", import.meta.url).href;
    fs.writeFileSync(
      "killed-import.mjs",
      `import { importDatabase } from ${JSON.stringify(index)};
       const page = new Uint8Array(65536);
       page.set(new TextEncoder().encode("SQLite format 3\\0"));
       await importDatabase("killed.db", new ReadableStream({ pull: (c) => c.enqueue(page.slice()) }));`,
    );
    const child = spawn(process.execPath, ["killed-import.mjs"], { stdio: "ignore" });
    const scratch = () => fs.readdirSync(".").filter((f) => f.startsWith(".wsq-import-"));
    const giveUp = Date.now() + 120_000;
    while (!scratch().some((f) => fs.statSync(f).size > 1 << 20)) {
      assert.ok(Date.now() < giveUp, "the import in the other process never got going");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    child.kill("SIGKILL");
    await once(child, "exit");
    assert.equal(scratch().length, 1, "the killed import left its scratch file");
    // A scratch file of a process that is alive (the test runner's parent) is someone's import.
    const live = `.wsq-import-${process.ppid}-live.db`;
    fs.writeFileSync(live, "in progress");
    assert.ok(!(await listDatabases()).includes("killed.db"));
    assert.deepEqual(scratch(), [live], "the dead import's scratch is gone, the live one kept");
    fs.rmSync(live);
  });

  // Timeouts here are the thing under test, on statements that provably never end; every other
  // statement runs on a handle without one, or with a generous one, so a busy machine passes.
  const ENDLESS =
    "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c) INSERT INTO t SELECT i FROM c";

  it("times out a long request, interrupts it in the worker, and stays usable", async () => {
    const plain = await open("slow.db");
    await plain.exec("CREATE TABLE t(v)");
    const db = await open("slow.db", { timeoutMs: 100 });
    await assert.rejects(
      db.exec(ENDLESS),
      (e) => e instanceof WebSqliteError && e.code === "TIMEOUT",
    );
    assert.deepEqual(await plain.query("SELECT count(*) AS n FROM t"), [{ n: 0 }]);
    await db.close();
    await plain.close();
  });

  it("does not run a request that waited past its deadline behind another database", async () => {
    // The endless query holds the worker for 500 ms; the queued request's 50 ms are up by then.
    const busy = await open("busy.db", { storage: "memory", timeoutMs: 500 });
    await busy.exec("CREATE TABLE t(v)");
    const plain = await open("queued.db");
    await plain.exec("CREATE TABLE t(v)");
    const db = await open("queued.db", { timeoutMs: 50 });
    const long = assert.rejects(busy.exec(ENDLESS), (e) => code(e) === "TIMEOUT");
    await assert.rejects(db.exec("INSERT INTO t VALUES (1)"), (e) => code(e) === "TIMEOUT");
    await long;
    assert.deepEqual(await plain.query("SELECT count(*) AS n FROM t"), [{ n: 0 }], "it never ran");
    await db.close();
    await plain.close();
    await busy.close();
  });

  it("refuses to go on in a transaction that SQLite rolled back, and commits none of it", async () => {
    const db = await open("rolled-back.db", { timeoutMs: 3000 });
    await db.exec("CREATE TABLE t(v)");
    const insert = await db.prepare("INSERT INTO t VALUES (?)");
    let afterwards = "";
    let statement = "";
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx.exec("INSERT INTO t VALUES ('first')");
        // Interrupted by the deadline: SQLite rolls back the whole transaction.
        await tx.exec(ENDLESS).catch((e) => assert.equal(code(e), "TIMEOUT"));
        afterwards = await tx.exec("INSERT INTO t VALUES ('lost')").then(
          () => "ran",
          (e) => code(e),
        );
        statement = await insert.run(["also lost"]).then(
          () => "ran",
          (e) => code(e),
        );
      }),
      (e) => code(e) === "TRANSACTION_ROLLED_BACK",
    );
    assert.equal(afterwards, "TRANSACTION_ROLLED_BACK");
    assert.equal(statement, "TRANSACTION_ROLLED_BACK");
    assert.deepEqual(await db.query("SELECT count(*) AS n FROM t"), [{ n: 0 }]);
    // The database is usable, and the next transaction works.
    await db.transaction((tx) => tx.exec("INSERT INTO t VALUES ('next')"));
    assert.deepEqual(await db.query("SELECT v FROM t"), [{ v: "next" }]);
    await insert.finalize();
    await db.close();
  });

  it("rolls back a transaction whose callback never settles, and frees the database", async () => {
    const plain = await open("hung.db");
    await plain.exec("CREATE TABLE t(v)");
    const db = await open("hung.db", { timeoutMs: 2000 });
    // The callback waits for a gate opened only after the transaction timed out.
    let openGate = () => {};
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    let later: Promise<string> = Promise.resolve("");
    const hung = db.transaction(async (tx) => {
      await tx.exec("INSERT INTO t VALUES ('never committed')");
      await gate;
      later = tx.exec("INSERT INTO t VALUES ('too late')").then(
        () => "ran",
        (e) => code(e),
      );
    });
    await assert.rejects(db.query("SELECT 1"), (e) => code(e) === "TRANSACTION_ACTIVE");
    await assert.rejects(
      hung,
      (e) => code(e) === "TIMEOUT" && /held the database/.test((e as Error).message),
    );
    openGate();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(
      await later,
      "TRANSACTION_ACTIVE",
      "the rolled-back callback's late call is refused",
    );
    assert.deepEqual(await db.query("SELECT count(*) AS n FROM t"), [{ n: 0 }], "rolled back");
    // A callback that never settles at all ends the same way, and the database is free again.
    await assert.rejects(
      db.transaction(() => new Promise(() => {})),
      (e) => code(e) === "TIMEOUT",
    );
    await db.exec("INSERT INTO t VALUES ('works')");
    assert.deepEqual(await plain.query("SELECT v FROM t"), [{ v: "works" }]);
    await db.close();
    await plain.close();
  });

  it("says what was slow when a cold open runs past its timeout", async () => {
    shutdown();
    // Loading the wasm into a new worker takes longer than a millisecond.
    const e = await open("cold.db", { storage: "memory", timeoutMs: 1 }).catch((e) => e);
    assert.equal(code(e), "TIMEOUT");
    assert.match(e.message, /the worker was still starting \(loading web-sqlite\.wasm/);
  });

  it("rejects names that SQLite would take for side files, and bad timeouts", async () => {
    await assert.rejects(open("data.db-journal"), (e) => code(e) === "INVALID_NAME");
    await assert.rejects(open("data.db-wal"), (e) => code(e) === "INVALID_NAME");
    await assert.rejects(open("x.db", { timeoutMs: Infinity }), RangeError);
    await assert.rejects(open("x.db", { timeoutMs: -1 }), RangeError);
  });

  it("reports a database's I/O and runs the VFS self-test in the worker", async () => {
    const db = await open("stats.db");
    await db.exec("CREATE TABLE t(v)");
    const before = await db.stats();
    await db.exec("INSERT INTO t VALUES (randomblob(5000))");
    const after = await db.stats();
    assert.equal(after.syncs - before.syncs, 4);
    assert.ok(after.writeBytes - before.writeBytes >= 5000);
    await db.close();
    const report = await selfTest();
    assert.equal(report.storage, "file");
    assert.ok(report.ok, JSON.stringify(report.steps));
    assert.ok(!fs.readdirSync(".").some((f) => f.includes("self-test")), "no scratch file left");
  });

  it("answers the bad-input matrix with typed errors and stays usable", async () => {
    const db = await open("bad-input.db");
    await db.exec("CREATE TABLE t(v)");
    const syntax = await db.exec("SELECT * FRM t").catch((e) => e);
    assert.ok(syntax instanceof SQLiteError && syntax.code === "SQLITE_ERROR");
    assert.equal(syntax.offset, 9);
    for (const sql of ["SELECT randomblob(1000000001)", "SELECT zeroblob(2000000000)"]) {
      await assert.rejects(db.query(sql), (e) => code(e) === "SQLITE_TOOBIG", sql);
    }
    await assert.rejects(
      db.exec("INSERT INTO t VALUES (?)", [1, 2]),
      (e) => code(e) === "SQLITE_RANGE",
    );
    await assert.rejects(
      db.exec("INSERT INTO t VALUES (:v)", { w: 1 }),
      (e) => code(e) === "SQLITE_RANGE",
    );
    await assert.rejects(db.exec("INSERT INTO t VALUES (?)", [new Map() as never]), TypeError);
    assert.deepEqual(await db.query("SELECT count(*) AS n FROM t"), [{ n: 0 }], "nothing ran");
    await db.close();
    const long = "n".repeat(300) + ".db";
    await assert.rejects(open(long), (e) => code(e) === "SQLITE_CANTOPEN");
    await assert.rejects(open("x\0y.db"), (e) => code(e) === "INVALID_NAME");
    await assert.rejects(open(""), TypeError);
    assert.ok(!fs.readdirSync(".").some((f) => f.startsWith("nnnn") || f.startsWith("x")));
  });

  it("runs out of memory with a typed error at SQLite's limits, and stays usable", async () => {
    const db = await open("memory-limits.db", { storage: "memory" });
    // The documented default heap limit, which PRAGMA hard_heap_limit can lower.
    assert.deepEqual(await db.query("PRAGMA hard_heap_limit"), [{ hard_heap_limit: 2 ** 30 }]);
    // A value that keeps doubling stops at the length limit (128 MiB), well inside the heap.
    await assert.rejects(
      db.query(
        "WITH RECURSIVE d(s) AS (SELECT 'x' UNION ALL SELECT s || s FROM d) SELECT length(s) FROM d",
      ),
      (e) => code(e) === "SQLITE_TOOBIG",
    );
    await assert.rejects(
      db.query("SELECT randomblob(500000000)"),
      (e) => code(e) === "SQLITE_TOOBIG",
    );
    // Values each within the length limit that together pass the heap limit.
    const blobs = Array.from(
      { length: 10 },
      (_, i) => `length(zeroblob(120000000) || 'x') AS b${i}`,
    );
    await assert.rejects(db.query(`SELECT ${blobs.join(", ")}`), (e) => code(e) === "SQLITE_NOMEM");
    assert.deepEqual(await db.query("SELECT 'still here' AS s"), [{ s: "still here" }]);
    await db.close();
  });

  it("delivers SQLite's log to the open option's callback", async () => {
    const lines: string[] = [];
    const db: Database = await open("log.db", {
      storage: "memory",
      log: (c, m) => lines.push(`${c}: ${m}`),
    });
    await assert.rejects(db.exec("SELECT * FROM nowhere"));
    await db.query("SELECT 1"); // the log event arrives before this answer
    assert.ok(
      lines.some((l) => l.includes("no such table: nowhere")),
      lines.join("\n"),
    );
    await db.close();
  });

  it("opens with relaxed durability and rejects unknown storage", async () => {
    const db = await open("relaxed.db", { durability: "relaxed" });
    assert.deepEqual(await db.query("PRAGMA synchronous"), [{ synchronous: 0 }]);
    assert.deepEqual(await db.query("PRAGMA journal_mode"), [{ journal_mode: "truncate" }]);
    await db.close();
    const full = await open("relaxed.db");
    assert.deepEqual(await full.query("PRAGMA synchronous"), [{ synchronous: 2 }]);
    await full.close();
    await assert.rejects(open("x.db", { storage: "opfs" }), (e) => code(e) === "UNSUPPORTED");
  });
});
