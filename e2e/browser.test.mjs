// The Promise API in real Chromium, on the real OPFS, served without COOP/COEP headers.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, before, describe, it } from "node:test";

import { freshProfile, launch, removeProfile, startSession, testPage } from "./harness.mjs";

const PORT = 8787; // fixed: OPFS belongs to the origin, port included

let server;
let context;
let session;

before(async () => {
  session = await startSession({ port: PORT });
  ({ server, context } = session);
});

after(() => session?.close());

/** Runs fn in a fresh tab (where window.wsq is the library) and returns what it returns. */
async function inPage(fn, arg) {
  const page = await testPage(context, server.url);
  try {
    return await page.evaluate(fn, arg);
  } finally {
    await page.close();
  }
}

describe("the Promise API in Chromium", () => {
  it("serves pages without cross-origin isolation", async () => {
    const page = await testPage(context, server.url);
    assert.equal(await page.evaluate(() => window.crossOriginIsolated), false);
    assert.equal(await page.evaluate(() => typeof SharedArrayBuffer), "undefined");
    await page.close();
  });

  it("runs exec, query, queryArrays, sql, prepare and close on OPFS", async () => {
    const r = await inPage(async () => {
      const wsq = window.wsq;
      const db = await wsq.open("api.db");
      const created = await db.exec(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT); INSERT INTO t(name) VALUES ('a'), ('b')",
      );
      const named = await db.exec("INSERT INTO t(name) VALUES (:name)", { name: "c" });
      const rows = await db.query("SELECT id, name FROM t WHERE id > ? ORDER BY id", [1]);
      const arrays = await db.queryArrays("SELECT id, name FROM t ORDER BY id");
      const evil = "x'); DROP TABLE t; --";
      const tagged = await db.sql`SELECT ${evil} AS v, ${2} + 1 AS n`;
      const stmt = await db.prepare("SELECT name FROM t WHERE id = ?");
      const got = await stmt.get([3]);
      const none = await stmt.get([99]);
      const all = await stmt.all([1]);
      const ins = await db.prepare("INSERT INTO t(name) VALUES (?)");
      const run = await ins.run(["d"]);
      await stmt.finalize();
      await ins.finalize();
      const afterFinalize = await stmt.get([1]).then(
        () => "resolved",
        (e) => e.code,
      );
      const count = (await db.query("SELECT count(*) AS n FROM t"))[0].n;
      await db.close();
      const closed = await db.query("SELECT 1").then(
        () => "resolved",
        (e) => `${e.name}:${e.code}:${e.message}`,
      );
      return {
        created,
        named,
        rows,
        arrays,
        tagged,
        got,
        none,
        all,
        run,
        afterFinalize,
        count,
        closed,
        isOpen: db.isOpen,
      };
    });
    assert.deepEqual(r.created, { changes: 2, lastInsertRowid: 2 });
    assert.deepEqual(r.named, { changes: 1, lastInsertRowid: 3 });
    assert.deepEqual(r.rows, [
      { id: 2, name: "b" },
      { id: 3, name: "c" },
    ]);
    assert.deepEqual(r.arrays.columns, ["id", "name"]);
    assert.deepEqual(r.arrays.rows[0], [1, "a"]);
    assert.deepEqual(r.tagged, [{ v: "x'); DROP TABLE t; --", n: 3 }]);
    assert.deepEqual(r.got, { name: "c" });
    assert.equal(r.none, undefined);
    assert.deepEqual(r.all, [{ name: "a" }]);
    assert.deepEqual(r.run, { changes: 1, lastInsertRowid: 4 });
    assert.equal(r.afterFinalize, "SQLITE_MISUSE");
    assert.equal(r.count, 4);
    assert.match(r.closed, /^SQLiteError:SQLITE_MISUSE:.*closed/);
    assert.equal(r.isOpen, false);
  });

  it("round-trips every value type", async () => {
    const r = await inPage(async () => {
      const wsq = window.wsq;
      const db = await wsq.open("values.db", { storage: "memory" });
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
        new Uint8Array([7, 8]).buffer,
      ];
      for (const v of values) await db.exec("INSERT INTO v VALUES (?)", [v]);
      const rows = await db.queryArrays("SELECT x, typeof(x) FROM v ORDER BY rowid");
      const errors = [];
      for (const bad of [undefined, () => 1, Symbol("s"), { a: 1 }, new Date(0)]) {
        try {
          await db.exec("SELECT ?", [bad]);
          errors.push("accepted");
        } catch (e) {
          errors.push(`${e.name}: ${e.message}`);
        }
      }
      await db.close();
      return {
        rows: rows.rows.map(([x, t]) => [
          typeof x === "bigint" ? `${x}n` : x instanceof Uint8Array ? [...x] : x,
          t,
        ]),
        errors,
      };
    });
    assert.deepEqual(r.rows, [
      [null, "null"],
      [0, "integer"],
      [-1, "integer"],
      [2 ** 31, "integer"],
      [Number.MAX_SAFE_INTEGER, "integer"],
      ["9007199254740993n", "integer"],
      ["-9223372036854775808n", "integer"],
      ["9223372036854775807n", "integer"],
      [1.5, "real"],
      [-0.25, "real"],
      ["", "text"],
      ["héllo 🌍", "text"],
      ["nul\u0000inside", "text"],
      [1, "integer"],
      [0, "integer"],
      [[0, 1, 255], "blob"],
      [[], "blob"],
      [[7, 8], "blob"],
    ]);
    assert.equal(r.errors.length, 5);
    for (const e of r.errors) assert.match(e, /^TypeError: .*parameter 1/);
  });

  it("commits a transaction, rolls back on throw without a trace, nests with savepoints", async () => {
    const r = await inPage(async () => {
      const wsq = window.wsq;
      const db = await wsq.open("tx.db");
      await db.exec("CREATE TABLE t(v)");
      const value = await db.transaction(async (tx) => {
        await tx.exec("INSERT INTO t VALUES ('kept')");
        await tx
          .transaction(async (inner) => {
            await inner.exec("INSERT INTO t VALUES ('inner-undone')");
            throw new Error("inner failure");
          })
          .catch(() => {});
        await tx.transaction(async (inner) => inner.exec("INSERT INTO t VALUES ('inner-kept')"));
        return "returned";
      });
      const failed = await db
        .transaction(async (tx) => {
          await tx.exec("INSERT INTO t VALUES ('undone')");
          await tx.exec("CREATE TABLE gone(x)");
          throw new Error("boom");
        })
        .catch((e) => e.message);
      // A call on db inside the callback fails fast instead of deadlocking.
      const direct = await db.transaction(async () => db.query("SELECT 1")).catch((e) => e.code);
      const rows = await db.query("SELECT v FROM t ORDER BY rowid");
      const gone = await db.query("SELECT name FROM sqlite_schema WHERE name = 'gone'");
      const stale = await (async () => {
        let saved;
        await db.transaction(async (tx) => {
          saved = tx;
        });
        return saved.query("SELECT 1").catch((e) => e.code);
      })();
      await db.close();
      return { value, failed, direct, rows, gone, stale };
    });
    assert.equal(r.value, "returned");
    assert.equal(r.failed, "boom");
    assert.equal(r.direct, "TRANSACTION_ACTIVE");
    assert.deepEqual(r.rows, [{ v: "kept" }, { v: "inner-kept" }]);
    assert.deepEqual(r.gone, []);
    assert.equal(r.stale, "TRANSACTION_ACTIVE");
  });

  it("runs a batch atomically and reports the failing item", async () => {
    const r = await inPage(async () => {
      const wsq = window.wsq;
      const db = await wsq.open("batch.db");
      const ok = await db.batch([
        "CREATE TABLE t(v UNIQUE)",
        ["INSERT INTO t VALUES (?)", [1]],
        { sql: "INSERT INTO t VALUES (:v)", params: { v: 2 } },
        "SELECT v FROM t ORDER BY v",
      ]);
      const failed = await db
        .batch([
          ["INSERT INTO t VALUES (?)", [3]],
          ["INSERT INTO t VALUES (?)", [1]],
        ])
        .catch((e) => `${e.code}: ${e.message}`);
      const rows = await db.query("SELECT v FROM t ORDER BY v");
      await db.close();
      return { ok, failed, rows };
    });
    assert.equal(r.ok.length, 4);
    assert.deepEqual(r.ok[1], { rows: [], changes: 1, lastInsertRowid: 1 });
    assert.deepEqual(r.ok[3].rows, [{ v: 1 }, { v: 2 }]);
    assert.match(r.failed, /^SQLITE_CONSTRAINT_UNIQUE: batch item 2:/);
    assert.deepEqual(r.rows, [{ v: 1 }, { v: 2 }], "the batch left no trace");
  });

  it("streams 1,000,000 rows through iterate, and stops early on break", async () => {
    const r = await inPage(async () => {
      const wsq = window.wsq;
      const db = await wsq.open("iterate.db", { storage: "memory" });
      const sql =
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000) SELECT i FROM n";
      let count = 0;
      let sum = 0;
      let last = 0;
      let ordered = true;
      for await (const row of db.iterate(sql, undefined, { chunkRows: 4096 })) {
        count++;
        sum += row.i;
        if (row.i !== last + 1) ordered = false;
        last = row.i;
      }
      let early = 0;
      for await (const row of db.iterate(sql)) {
        if (++early === 10) break;
      }
      // The connection is usable after the early exit (the cursor was finalized).
      const after = await db.query("SELECT 42 AS x");
      await db.close();
      return { count, sum, ordered, early, after };
    });
    assert.equal(r.count, 1_000_000);
    assert.equal(r.sum, (1_000_000 * 1_000_001) / 2);
    assert.ok(r.ordered);
    assert.equal(r.early, 10);
    assert.deepEqual(r.after, [{ x: 42 }]);
  });

  it("shares one database between two handles of a page, and keeps it until both close", async () => {
    const r = await inPage(async () => {
      const wsq = window.wsq;
      const a = await wsq.open("shared-handles.db");
      const b = await wsq.open("shared-handles.db");
      await a.exec(
        "CREATE TABLE IF NOT EXISTS t(v); DELETE FROM t; INSERT INTO t VALUES ('from a')",
      );
      const seen = await b.query("SELECT v FROM t");
      await a.close();
      await b.exec("INSERT INTO t VALUES ('from b after a closed')");
      const rows = await b.query("SELECT v FROM t ORDER BY rowid");
      await b.close();
      return { seen, rows };
    });
    assert.deepEqual(r.seen, [{ v: "from a" }]);
    assert.deepEqual(r.rows, [{ v: "from a" }, { v: "from b after a closed" }]);
  });

  it("opens with relaxed durability", async () => {
    const r = await inPage(async () => {
      const db = await window.wsq.open("relaxed.db", { durability: "relaxed" });
      await db.exec("CREATE TABLE IF NOT EXISTS t(v); INSERT INTO t VALUES (1)");
      const rows = await db.query("PRAGMA synchronous");
      const mode = await db.query("PRAGMA journal_mode");
      await db.close();
      return { rows, mode };
    });
    assert.deepEqual(r.rows, [{ synchronous: 0 }]);
    assert.deepEqual(r.mode, [{ journal_mode: "truncate" }]);
  });

  it("reports I/O per database and passes the OPFS and memory self-tests", async () => {
    const r = await inPage(async () => {
      const wsq = window.wsq;
      const db = await wsq.open("stats.db");
      await db.exec("CREATE TABLE IF NOT EXISTS t(v)");
      const before = await db.stats();
      await db.exec("INSERT INTO t VALUES (randomblob(5000))");
      const after = await db.stats();
      await db.close();
      const opfs = await wsq.selfTest("opfs");
      const memory = await wsq.selfTest("memory");
      const root = await navigator.storage.getDirectory();
      const names = [];
      for await (const name of root.keys()) names.push(name);
      return { before, after, opfs, memory, names };
    });
    assert.equal(r.after.syncs - r.before.syncs, 4, "flushes per durable commit on OPFS");
    assert.ok(r.after.writeBytes - r.before.writeBytes >= 5000);
    assert.ok(r.opfs.ok, JSON.stringify(r.opfs.steps));
    assert.equal(r.opfs.steps.length, 11);
    assert.ok(r.memory.ok, JSON.stringify(r.memory.steps));
    assert.ok(!r.names.some((n) => n.includes("self-test")), "no scratch file left in OPFS");
  });

  it("keeps two databases apart at once", async () => {
    const r = await inPage(async () => {
      const wsq = window.wsq;
      const [a, b] = await Promise.all([wsq.open("two-a.db"), wsq.open("two-b.db")]);
      await Promise.all([
        a.exec("CREATE TABLE t(v); INSERT INTO t VALUES ('a')"),
        b.exec("CREATE TABLE t(v); INSERT INTO t VALUES ('b')"),
      ]);
      const rows = await Promise.all([a.query("SELECT v FROM t"), b.query("SELECT v FROM t")]);
      await a.close();
      await b.close();
      return rows;
    });
    assert.deepEqual(r, [[{ v: "a" }], [{ v: "b" }]]);
  });

  it("exports, imports the bytes under another name, and lists and deletes databases", async () => {
    const r = await inPage(async () => {
      const wsq = window.wsq;
      const db = await wsq.open("export.db");
      await db.exec(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, b BLOB); " +
          "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) " +
          "INSERT INTO t SELECT i, randomblob(100) FROM n",
      );
      const before = (await db.query("SELECT sum(length(b)) AS s, count(*) AS n FROM t"))[0];
      const hash = (await db.query("SELECT group_concat(hex(b), '') AS h FROM t"))[0].h.length;
      const bytes = await db.export();
      await db.close();
      const imported = await wsq.importDatabase("copy.db", bytes);
      // A stream works as well.
      const stream = new Blob([bytes]).stream();
      await wsq.importDatabase("copy2.db", stream);
      const listed = await wsq.listDatabases();
      const copy = await wsq.open("copy.db");
      const same = (await copy.query("SELECT sum(length(b)) AS s, count(*) AS n FROM t"))[0];
      const copyBytes = await copy.export();
      const deleteWhileOpen = await wsq.deleteDatabase("copy.db").catch((e) => e.code);
      await copy.close();
      const copy2 = await wsq.open("copy2.db");
      const same2 = (await copy2.query("SELECT count(*) AS n FROM t"))[0];
      await copy2.close();
      // Not a database: rejected, and the existing copy is untouched.
      const junk = await wsq
        .importDatabase("copy.db", new TextEncoder().encode("definitely not a database file"))
        .catch((e) => e.code);
      const stillThere = await wsq.open("copy.db");
      const untouched = (await stillThere.query("SELECT count(*) AS n FROM t"))[0];
      await stillThere.close();
      const deleted = await wsq.deleteDatabase("copy.db");
      const deletedAgain = await wsq.deleteDatabase("copy.db");
      const listedAfter = await wsq.listDatabases();
      return {
        before,
        hash,
        size: bytes.length,
        imported,
        listed,
        same,
        equalBytes: copyBytes.length === bytes.length && copyBytes.every((x, i) => x === bytes[i]),
        deleteWhileOpen,
        same2,
        junk,
        untouched,
        deleted,
        deletedAgain,
        listedAfter,
      };
    });
    assert.equal(r.before.n, 2000);
    assert.equal(r.imported.bytes, r.size);
    assert.ok(r.listed.includes("export.db") && r.listed.includes("copy.db"));
    assert.ok(!r.listed.some((n) => n.endsWith("-journal")), "journals are not listed");
    assert.deepEqual(r.same, r.before);
    assert.ok(r.equalBytes, "export of the import is byte-identical");
    assert.equal(r.deleteWhileOpen, "DATABASE_OPEN");
    assert.equal(r.same2.n, 2000);
    assert.equal(r.junk, "SQLITE_NOTADB");
    assert.equal(r.untouched.n, 2000);
    assert.equal(r.deleted, true);
    assert.equal(r.deletedAgain, false);
    assert.ok(!r.listedAfter.includes("copy.db"));
  });

  it("keeps the database file where the user expects it in OPFS", async () => {
    const r = await inPage(async () => {
      const wsq = window.wsq;
      const db = await wsq.open("visible.db");
      await db.exec("CREATE TABLE t(v); INSERT INTO t VALUES (1)");
      await db.close();
      const root = await navigator.storage.getDirectory();
      const names = [];
      for await (const name of root.keys()) names.push(name);
      const file = await (await root.getFileHandle("visible.db")).getFile();
      const head = new TextDecoder().decode(new Uint8Array(await file.arrayBuffer()).slice(0, 15));
      return { names, head };
    });
    assert.ok(r.names.includes("visible.db"));
    assert.ok(!r.names.includes("visible.db-journal"), "no journal left beside a closed database");
    assert.equal(r.head, "SQLite format 3");
  });

  it("rejects pending calls when the worker is terminated, and opens again after", async () => {
    const r = await inPage(async () => {
      const wsq = window.wsq;
      const db = await wsq.open("crash.db");
      await db.exec("CREATE TABLE IF NOT EXISTS t(v); INSERT INTO t VALUES ('committed')");
      const pending = db.query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50000000) SELECT count(*) FROM n",
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
      wsq.shutdown();
      const error = await pending.then(
        () => "resolved",
        (e) => `${e.code}: ${e.message}`,
      );
      const later = await db.query("SELECT 1").catch((e) => e.code);
      const again = await wsq.open("crash.db");
      const rows = await again.query("SELECT v FROM t");
      await again.close();
      return { error, later, rows };
    });
    assert.match(r.error, /^WORKER_DIED: /);
    assert.equal(r.later, "WORKER_DIED");
    assert.deepEqual(r.rows, [{ v: "committed" }]);
  });

  it("interrupts a request that runs past timeoutMs and stays usable", async () => {
    const r = await inPage(async () => {
      const wsq = window.wsq;
      // Only the statement under test, which never ends, runs with the timeout.
      const plain = await wsq.open("timeout.db");
      await plain.exec("CREATE TABLE IF NOT EXISTS t(v)");
      const db = await wsq.open("timeout.db", { timeoutMs: 200 });
      const error = await db
        .exec(
          "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) INSERT INTO t SELECT i FROM n",
        )
        .catch((e) => e.code);
      const rows = await plain.query("SELECT count(*) AS n FROM t");
      await db.close();
      await plain.close();
      return { error, rows };
    });
    assert.equal(r.error, "TIMEOUT");
    assert.deepEqual(r.rows, [{ n: 0 }], "the interrupted write was rolled back");
  });

  it("gives a second tab a typed DATABASE_IN_USE error, and the first keeps working", async () => {
    const first = await testPage(context, server.url);
    const second = await testPage(context, server.url);
    try {
      await first.evaluate(async () => {
        window.db = await window.wsq.open("shared.db");
        await window.db.exec("CREATE TABLE IF NOT EXISTS t(v); INSERT INTO t VALUES (1)");
      });
      const error = await second.evaluate(() =>
        window.wsq.open("shared.db").then(
          () => "opened",
          (e) => ({ name: e.name, code: e.code, message: e.message }),
        ),
      );
      assert.equal(error.code, "DATABASE_IN_USE");
      assert.equal(error.name, "WebSqliteError");
      assert.match(error.message, /another tab/);
      const rows = await first.evaluate(() => window.db.query("SELECT count(*) AS n FROM t"));
      assert.deepEqual(rows, [{ n: 1 }]);
      await first.evaluate(() => window.db.close());
      // Once the first tab closed it, the second may open it.
      const n = await second.evaluate(async () => {
        const db = await window.wsq.open("shared.db");
        const rows = await db.query("SELECT count(*) AS n FROM t");
        await db.close();
        return rows[0].n;
      });
      assert.equal(n, 1);
    } finally {
      await first.close();
      await second.close();
    }
  });

  it("removes the scratch file of an import whose tab was closed", async () => {
    const importer = await testPage(context, server.url);
    const other = await testPage(context, server.url);
    try {
      // An endless stream, 64 KiB every 20 ms (well inside the storage quota): the import is
      // still writing when its tab goes away.
      await importer.evaluate(() => {
        const page = new Uint8Array(65536);
        page.set(new TextEncoder().encode("SQLite format 3\0"));
        const stream = new ReadableStream({
          pull: (c) =>
            new Promise((resolve) => setTimeout(resolve, 20)).then(() => c.enqueue(page.slice())),
        });
        window.importing = window.wsq.importDatabase("orphan.db", stream).catch(() => {});
      });
      const scratch = () =>
        other.evaluate(async () => {
          const root = await navigator.storage.getDirectory();
          const names = [];
          for await (const name of root.keys())
            if (name.startsWith(".wsq-import-")) names.push(name);
          return names;
        });
      const started = await other.evaluate(async () => {
        const root = await navigator.storage.getDirectory();
        for (let i = 0; i < 1200; i++) {
          for await (const [name, handle] of root.entries()) {
            if (name.startsWith(".wsq-import-") && (await handle.getFile()).size > 1 << 18) {
              return true;
            }
          }
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        return false;
      });
      assert.ok(started, "the import got going");
      // While the import runs, listing leaves its scratch alone.
      await other.evaluate(() => window.wsq.listDatabases());
      assert.equal((await scratch()).length, 1, "a running import keeps its scratch file");
      await importer.close();
      const listed = await other.evaluate(async () => {
        // The closed tab's worker lets go of its lock and handle, which may take a moment.
        for (let i = 0; i < 600; i++) {
          const names = await window.wsq.listDatabases();
          const root = await navigator.storage.getDirectory();
          let left = 0;
          for await (const name of root.keys()) if (name.startsWith(".wsq-import-")) left++;
          if (left === 0) return names;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        return null;
      });
      assert.ok(listed, "the scratch file of the closed tab's import was removed");
      assert.ok(!listed.includes("orphan.db"));
    } finally {
      if (!importer.isClosed()) await importer.close();
      await other.close();
    }
  });

  it("rejects bad names with a clear error", async () => {
    const r = await inPage(async () => {
      const wsq = window.wsq;
      const out = [];
      for (const name of [
        "",
        "..",
        "a/b",
        "/abs.db",
        "x\u0001y",
        "n".repeat(201),
        "b.db-journal",
      ]) {
        out.push(
          await wsq.open(name).then(
            () => "opened",
            (e) => `${e.name}:${e.code ?? ""}`,
          ),
        );
      }
      out.push(
        await wsq.open("x", { storage: "file" }).then(
          () => "opened",
          (e) => e.code,
        ),
      );
      const db = await wsq.open("too-big.db", { storage: "memory" });
      out.push(
        await db.query("SELECT zeroblob(2000000000)").then(
          () => "ran",
          (e) => e.code,
        ),
      );
      await db.close();
      const root = await navigator.storage.getDirectory();
      for await (const name of root.keys()) {
        if (name.startsWith("nnnn") || name === "abs.db") out.push(`created ${name}`);
      }
      return out;
    });
    assert.deepEqual(r, [
      "TypeError:",
      "WebSqliteError:INVALID_NAME",
      "WebSqliteError:INVALID_NAME",
      "WebSqliteError:INVALID_NAME",
      "WebSqliteError:INVALID_NAME",
      "WebSqliteError:INVALID_NAME",
      "WebSqliteError:INVALID_NAME",
      "UNSUPPORTED",
      "SQLITE_TOOBIG",
    ]);
  });
});

describe("capabilities", () => {
  it("explains what is missing on a page that is not a secure context, and memory still works", async () => {
    // http://insecure.test is not a secure context (unlike 127.0.0.1 and localhost).
    const dir = freshProfile();
    const ctx = await launch(dir, [`--host-resolver-rules=MAP insecure.test 127.0.0.1`]);
    try {
      const page = await ctx.newPage();
      await page.goto(`http://insecure.test:${PORT}/e2e/pages/test.html`);
      await page.waitForFunction(() => window.wsq !== undefined);
      const r = await page.evaluate(async () => {
        const secure = window.isSecureContext;
        const opfs = await window.wsq.open("x.db").then(
          () => "opened",
          (e) => `${e.code}: ${e.message}`,
        );
        const db = await window.wsq.open("x.db", { storage: "memory" });
        const rows = await db.query("SELECT 'memory works' AS m");
        await db.close();
        return { secure, opfs, rows };
      });
      assert.equal(r.secure, false);
      assert.match(r.opfs, /^UNSUPPORTED: OPFS needs a secure context: serve the page over https/);
      assert.match(r.opfs, /storage: "memory"/);
      assert.deepEqual(r.rows, [{ m: "memory works" }]);
    } finally {
      await ctx.close();
      removeProfile(dir);
    }
  });
});

describe("content security policy", () => {
  it("works on a page with script-src 'self' 'wasm-unsafe-eval' (no eval, no inline code)", async () => {
    const strict = await startSession({
      port: 8794,
      headers: { "Content-Security-Policy": "script-src 'self' 'wasm-unsafe-eval'" },
    });
    try {
      const page = await strict.context.newPage();
      await page.goto(`${strict.server.url}/e2e/pages/csp.html`);
      await page.waitForFunction(() => window.result !== undefined);
      const r = await page.evaluate(() => window.result);
      assert.equal(r.error, undefined, r.error);
      assert.deepEqual(r.rows, [{ v: "csp ok" }]);
      assert.equal(r.sync, 42);
      assert.deepEqual(r.violations, []);
    } finally {
      await strict.close();
    }
  });
});

describe("persistence", () => {
  it("survives a page reload and a browser restart with the same profile", async () => {
    const dir = freshProfile();
    try {
      let ctx = await launch(dir);
      let page = await testPage(ctx, server.url);
      await page.evaluate(async () => {
        const db = await window.wsq.open("persist.db");
        await db.exec("CREATE TABLE t(v); INSERT INTO t VALUES ('before reload')");
        // Left open on purpose: the reload must not lose a resolved commit.
      });
      await page.reload();
      await page.waitForFunction(() => window.wsq !== undefined);
      const afterReload = await page.evaluate(async () => {
        const db = await window.wsq.open("persist.db");
        await db.exec("INSERT INTO t VALUES ('before restart')");
        return db.query("SELECT v FROM t ORDER BY rowid");
      });
      assert.deepEqual(afterReload, [{ v: "before reload" }, { v: "before restart" }]);
      await ctx.close();
      ctx = await launch(dir);
      page = await testPage(ctx, server.url);
      const afterRestart = await page.evaluate(async () => {
        const db = await window.wsq.open("persist.db");
        const rows = await db.query("SELECT v FROM t ORDER BY rowid");
        const check = await db.query("PRAGMA integrity_check");
        await db.close();
        return { rows, check };
      });
      assert.deepEqual(afterRestart.rows, afterReload);
      assert.deepEqual(afterRestart.check, [{ integrity_check: "ok" }]);
      await ctx.close();
    } finally {
      removeProfile(dir);
    }
  });

  it("keeps every resolved commit and no uncommitted write when the browser is killed", async () => {
    const dir = freshProfile();
    try {
      let ctx = await launch(dir);
      let page = await testPage(ctx, server.url);
      await page.evaluate(async () => {
        const db = await window.wsq.open("killed.db");
        await db.exec("CREATE TABLE t(v, pad)");
        for (let i = 0; i < 20; i++) {
          await db.exec("INSERT INTO t VALUES (?, randomblob(2000))", [`commit ${i}`]);
        }
        // A large transaction, never committed: with a tiny page cache it spills into the
        // database file, so only the journal can undo it.
        await db.exec("PRAGMA cache_size = 5; BEGIN");
        await db.exec(
          "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) " +
            "INSERT INTO t SELECT 'uncommitted', randomblob(2000) FROM n",
        );
        await db.exec("UPDATE t SET v = 'changed' WHERE v LIKE 'commit%'");
      });
      // SIGKILL: no unload, no close, no flush beyond what SQLite already asked for.
      execFileSync("pkill", ["-KILL", "-f", `user-data-dir=${dir}`]);
      await ctx.close().catch(() => {});
      ctx = await launch(dir);
      page = await testPage(ctx, server.url);
      const r = await page.evaluate(async () => {
        const db = await window.wsq.open("killed.db");
        const rows = await db.query("SELECT v, count(*) AS n FROM t GROUP BY v ORDER BY v");
        const check = await db.query("PRAGMA integrity_check");
        await db.close();
        return { rows, check };
      });
      await ctx.close();
      assert.deepEqual(r.check, [{ integrity_check: "ok" }]);
      assert.equal(r.rows.length, 20, JSON.stringify(r.rows));
      assert.ok(r.rows.every((row) => row.v.startsWith("commit ") && row.n === 1));
    } finally {
      removeProfile(dir);
    }
  });
});
