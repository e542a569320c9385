// The Promise API in a real browser, the engine of this run (WSQ_ENGINE, e2e/harness.mjs), on the
// real OPFS, served without COOP/COEP headers: what only a browser has (tabs, OPFS files, security contexts, persistence across restarts). The cases
// every host shares run in e2e/promise-api.test.mjs.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";

import {
  ENGINE,
  STORAGES,
  freshProfile,
  killBrowser,
  launch,
  removeProfile,
  startSession,
  testPage,
  unless,
} from "./harness.mjs";

const PORT = 8787; // fixed: OPFS belongs to the origin, port included

const session = await startSession({ port: PORT });
const { server, context } = session;
const can = await session.capabilities();

after(() => session.close());

/** Runs fn in a fresh tab (where window.wsq is the library) and returns what it returns. */
async function inPage(fn, arg) {
  const page = await testPage(context, server.url);
  try {
    return await page.evaluate(fn, arg);
  } finally {
    await page.close();
  }
}

describe(`the Promise API in ${ENGINE.name}`, () => {
  it("serves pages without cross-origin isolation", async () => {
    const page = await testPage(context, server.url);
    assert.equal(await page.evaluate(() => window.crossOriginIsolated), false);
    assert.equal(await page.evaluate(() => typeof SharedArrayBuffer), "undefined");
    await page.close();
  });

  it(
    "keeps the database file where the user expects it in OPFS",
    { skip: unless(can, "opfs") },
    async () => {
      const r = await inPage(async () => {
        const wsq = window.wsq;
        const db = await wsq.open("visible.db");
        await db.exec("CREATE TABLE t(v); INSERT INTO t VALUES (1)");
        await db.close();
        const root = await navigator.storage.getDirectory();
        const names = [];
        for await (const name of root.keys()) names.push(name);
        const file = await (await root.getFileHandle("visible.db")).getFile();
        const head = new TextDecoder().decode(
          new Uint8Array(await file.arrayBuffer()).slice(0, 15),
        );
        return { names, head };
      });
      assert.ok(r.names.includes("visible.db"));
      assert.ok(
        !r.names.includes("visible.db-journal"),
        "no journal left beside a closed database",
      );
      assert.equal(r.head, "SQLite format 3");
    },
  );

  // The scratch file of an import whose tab went away is removed by the next listing, and by the
  // next open of the database it was for (an app that never lists keeps no quota used).
  for (const sweep of ["listDatabases", "open"]) {
    it(
      `removes the scratch file of an import whose tab was closed, at the next ${sweep}`,
      { skip: unless(can, "opfs") },
      async () => {
        const importer = await testPage(context, server.url);
        let importerOpen = true;
        const other = await testPage(context, server.url);
        try {
          // An endless stream, 64 KiB every 20 ms (well inside the storage quota): the import is
          // still writing when its tab goes away.
          await importer.evaluate(() => {
            const page = new Uint8Array(65536);
            page.set(new TextEncoder().encode("SQLite format 3\0"));
            const stream = new ReadableStream({
              pull: (c) =>
                new Promise((resolve) => setTimeout(resolve, 20)).then(() =>
                  c.enqueue(page.slice()),
                ),
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
          importerOpen = false;
          const listed = await other.evaluate(async (sweep) => {
            // The closed tab's worker lets go of its lock and handle, which may take a moment.
            for (let i = 0; i < 600; i++) {
              const names =
                sweep === "open"
                  ? await (await window.wsq.open("orphan.db")).close()
                  : await window.wsq.listDatabases();
              const root = await navigator.storage.getDirectory();
              let left = 0;
              for await (const name of root.keys()) if (name.startsWith(".wsq-import-")) left++;
              if (left === 0) return names ?? [];
              await new Promise((resolve) => setTimeout(resolve, 100));
            }
            return null;
          }, sweep);
          assert.ok(listed, "the scratch file of the closed tab's import was removed");
          if (sweep === "open") await other.evaluate(() => window.wsq.deleteDatabase("orphan.db"));
          else assert.ok(!listed.includes("orphan.db"));
        } finally {
          if (importerOpen) await importer.close();
          await other.close();
        }
      },
    );
  }

  for (const { storage, title, needs } of STORAGES) {
    it(
      `rejects bad names with a clear error, creating nothing (${title})`,
      { skip: unless(can, needs) },
      async () => {
        const r = await inPage(async (storage) => {
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
              await wsq.open(name, { storage }).then(
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
          for (const name of await wsq.listDatabases({ storage })) {
            if (name.startsWith("nnnn") || name.includes("abs.db")) out.push(`created ${name}`);
          }
          return out;
        }, storage);
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
      },
    );
  }
});

describe("capabilities", () => {
  it(
    "explains what is missing on a page that is not a secure context, and memory still works",
    { skip: unless(can, "hostMapping") },
    async () => {
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
        assert.match(
          r.opfs,
          /^UNSUPPORTED: no persistent storage here: OPFS needs a secure context: serve the page over https/,
        );
        assert.match(r.opfs, /IndexedDB storage needs Web Locks/);
        assert.match(r.opfs, /storage: "memory"/);
        assert.deepEqual(r.rows, [{ m: "memory works" }]);
      } finally {
        await ctx.close();
        removeProfile(dir);
      }
    },
  );
});

describe("where OPFS is missing or fails", () => {
  const skip =
    can.opfs === true ? `${ENGINE.name} has OPFS sync access handles` : unless(can, "indexedDB");
  it(
    "open(name) keeps the database in IndexedDB, there after a reload; OPFS asked for rejects UNSUPPORTED with the cause, the same after a reload",
    { skip },
    async () => {
      const page = await testPage(context, server.url);
      const attempt = () =>
        page.evaluate(async () => {
          const db = await window.wsq.open("where.db");
          const before = await db.query("SELECT name FROM sqlite_schema");
          await db.exec("CREATE TABLE IF NOT EXISTS t(v); INSERT INTO t VALUES ('kept')");
          const rows = await db.query("SELECT v FROM t");
          const storage = db.storage;
          await db.close();
          const opfs = await window.wsq.open("where-opfs.db", { storage: "opfs" }).then(
            () => "opened",
            (e) => `${e.code}: ${e.message}`,
          );
          return { storage, before: before.length, rows: rows.length, opfs };
        });
      try {
        const first = await attempt();
        assert.equal(first.storage, "idb");
        assert.equal(first.before, 0, "a new database");
        assert.match(first.opfs, /^UNSUPPORTED: .*\{ storage: "idb" \}/);
        await page.reload();
        await page.waitForFunction(() => window.wsq !== undefined);
        const second = await attempt();
        assert.equal(second.before, 1, "the table was kept");
        assert.equal(second.rows, 2, "the first row was kept");
        assert.equal(
          second.opfs,
          first.opfs,
          "the same error after a reload, never DATABASE_IN_USE",
        );
        await page.evaluate(() => window.wsq.deleteDatabase("where.db"));
      } finally {
        await page.close();
      }
    },
  );
});

describe("never a memory database unasked", () => {
  it("the sync API without storage: OPFS in a worker that has it, else IndexedDB; on a page UNSUPPORTED saying what to pass", async () => {
    const page = await session.context.newPage();
    try {
      await page.goto(`${server.url}/e2e/pages/sync.html`);
      await page.waitForFunction(() => window.sync !== undefined);
      const r = await page.evaluate(async () => {
        const { Database } = window.sync;
        const failed = (e) => `${e.code}: ${e.message}`;
        const onPage = await Database.open("unasked.db").then((db) => db.storage, failed);
        await Database.ready();
        let constructed;
        try {
          constructed = new Database("unasked.db").storage;
        } catch (e) {
          constructed = failed(e);
        }
        const asked = new Database("asked", { storage: "memory" }).storage;
        const sync = new URL("/js/dist/web/sync.js", location.href);
        const source = `import { Database } from "${sync}";
          postMessage(await Database.open("unasked.db").then(
            async (db) => { const s = db.storage; await db.closeAsync(); return s; },
            (e) => e.code + ": " + e.message));`;
        const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
        const inWorker = await new Promise((resolve) => {
          new Worker(url, { type: "module" }).onmessage = (e) => resolve(e.data);
        });
        return { onPage, constructed, asked, inWorker };
      });
      const unsupported =
        /^UNSUPPORTED: no persistent storage for "unasked\.db": .*Pass \{ storage: "memory" \}/;
      assert.match(r.onPage, unsupported);
      assert.match(r.onPage, /only a dedicated worker/);
      assert.equal(r.constructed, r.onPage);
      assert.equal(r.asked, "memory");
      // Without OPFS, or with one that fails to open (WebKitGTK), IndexedDB.
      assert.equal(r.inWorker, can.opfs === true ? "opfs" : "idb");
    } finally {
      await page.close();
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
      const storage = can.opfs === true ? "" : "?storage=memory";
      await page.goto(`${strict.server.url}/e2e/pages/csp.html${storage}`);
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

describe("a wasm served without its media type", () => {
  // The page compiles the wasm while the worker starts, which needs application/wasm; a host that
  // serves another type still works: the worker then loads the wasm itself.
  it("opens and queries when the server says application/octet-stream", async () => {
    const plain = await startSession({
      port: 8812,
      types: { ".wasm": "application/octet-stream" },
    });
    try {
      const page = await testPage(plain.context, plain.server.url);
      const rows = await page.evaluate(async () => {
        const db = await window.wsq.open("untyped", { storage: "memory" });
        const rows = await db.query("SELECT 'loaded' AS v");
        await db.close();
        return rows;
      });
      assert.deepEqual(rows, [{ v: "loaded" }]);
      assert.deepEqual(page.errors, []);
    } finally {
      await plain.close();
    }
  });
});

describe("persistence", () => {
  /** Starts the browser again on profile dir and reads name back: sql's rows, integrity_check. */
  async function afterRestart(dir, name, sql, storage) {
    const ctx = await launch(dir);
    const page = await testPage(ctx, server.url);
    const r = await page.evaluate(
      async ({ name, sql, storage }) => {
        const db = await window.wsq.open(name, { storage });
        const rows = await db.query(sql);
        const check = await db.query("PRAGMA integrity_check");
        await db.close();
        return { rows, check };
      },
      { name, sql, storage },
    );
    await ctx.close();
    return r;
  }

  for (const { storage, title, needs } of STORAGES) {
    it(
      `survives a page reload and a browser restart with the same profile (${title})`,
      { skip: unless(can, needs, "restartKeepsStorage") },
      async () => {
        const dir = freshProfile();
        try {
          const ctx = await launch(dir);
          const page = await testPage(ctx, server.url);
          await page.evaluate(async (storage) => {
            const db = await window.wsq.open("persist.db", { storage });
            await db.exec("CREATE TABLE t(v); INSERT INTO t VALUES ('before reload')");
            // Left open on purpose: the reload must not lose a resolved commit.
          }, storage);
          await page.reload();
          await page.waitForFunction(() => window.wsq !== undefined);
          const afterReload = await page.evaluate(async (storage) => {
            const db = await window.wsq.open("persist.db", { storage });
            await db.exec("INSERT INTO t VALUES ('before restart')");
            return db.query("SELECT v FROM t ORDER BY rowid");
          }, storage);
          assert.deepEqual(afterReload, [{ v: "before reload" }, { v: "before restart" }]);
          await ctx.close();
          const r = await afterRestart(
            dir,
            "persist.db",
            "SELECT v FROM t ORDER BY rowid",
            storage,
          );
          assert.deepEqual(r.rows, afterReload);
          assert.deepEqual(r.check, [{ integrity_check: "ok" }]);
        } finally {
          removeProfile(dir);
        }
      },
    );

    // WAL (the default) and the rollback journal a connection may choose; in IndexedDB, whose
    // saves hold the files at one moment whatever the journal, WAL alone.
    for (const mode of storage === "opfs" ? ["wal", "truncate"] : ["wal"]) {
      it(
        `keeps every resolved commit and no uncommitted write when the browser is killed (${title}, ${mode})`,
        { skip: unless(can, needs, "kill", "restartKeepsStorage") },
        async () => {
          const dir = freshProfile();
          try {
            const ctx = await launch(dir);
            const page = await testPage(ctx, server.url);
            await page.evaluate(
              async ({ mode, storage }) => {
                const db = await window.wsq.open("killed.db", { storage });
                await db.exec(`PRAGMA journal_mode = ${mode}`);
                await db.exec("CREATE TABLE t(v, pad)");
                for (let i = 0; i < 20; i++) {
                  await db.exec("INSERT INTO t VALUES (?, randomblob(2000))", [`commit ${i}`]);
                }
                // A large transaction, never committed: with a tiny page cache it spills, into the
                // database file (then only the journal can undo it) or the WAL (uncommitted frames).
                await db.exec("PRAGMA cache_size = 5; BEGIN");
                await db.exec(
                  "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) " +
                    "INSERT INTO t SELECT 'uncommitted', randomblob(2000) FROM n",
                );
                await db.exec("UPDATE t SET v = 'changed' WHERE v LIKE 'commit%'");
              },
              { mode, storage },
            );
            // SIGKILL: no unload, no close, no flush beyond what SQLite already asked for.
            killBrowser(dir);
            await ctx.close().catch(() => {});
            const r = await afterRestart(
              dir,
              "killed.db",
              "SELECT v, count(*) AS n FROM t GROUP BY v ORDER BY v",
              storage,
            );
            assert.deepEqual(r.check, [{ integrity_check: "ok" }]);
            assert.equal(r.rows.length, 20, JSON.stringify(r.rows));
            assert.ok(r.rows.every((row) => row.v.startsWith("commit ") && row.n === 1));
          } finally {
            removeProfile(dir);
          }
        },
      );
    }
  }
});

describe("IndexedDB quota", () => {
  it(
    "a commit IndexedDB refuses for the quota rejects SQLITE_FULL; the database stays usable, and once there is room nothing is lost",
    { skip: unless(can, "cdp", "indexedDB") },
    async () => {
      const page = await testPage(context, server.url);
      const cdp = await context.newCDPSession(page);
      const origin = new URL(server.url).origin;
      try {
        const usage = await page.evaluate(async () => (await navigator.storage.estimate()).usage);
        // Room for a little more than the origin uses now.
        await cdp.send("Storage.overrideQuotaForOrigin", {
          origin,
          quotaSize: usage + 3 * 1024 * 1024,
        });
        const full = await page.evaluate(async () => {
          await window.wsq.deleteDatabase("quota.db", { storage: "idb" });
          window.db = await window.wsq.open("quota.db", { storage: "idb" });
          await window.db.exec("CREATE TABLE t(v)");
          for (let i = 0; i < 100; i++) {
            try {
              await window.db.exec("INSERT INTO t VALUES (randomblob(200000))");
            } catch (e) {
              const [{ n }] = await window.db.query("SELECT count(*) AS n FROM t");
              return { at: i, error: `${e.code}: ${e.message}`, n };
            }
          }
          return { at: 100 };
        });
        assert.ok(full.at < 100, "the quota was reached");
        assert.match(
          full.error,
          /^SQLITE_FULL: database or disk is full: the browser's storage quota/,
        );
        assert.equal(full.n, full.at + 1, "the commit is kept in memory, as the message says");
        await cdp.send("Storage.overrideQuotaForOrigin", { origin }); // the quota back
        const after = await page.evaluate(async () => {
          await window.db.exec("INSERT INTO t VALUES ('after')");
          await window.db.close();
          window.wsq.shutdown(); // nothing kept in memory: read back what IndexedDB holds
          const db = await window.wsq.open("quota.db", { storage: "idb" });
          const [{ n }] = await db.query("SELECT count(*) AS n FROM t");
          const [check] = await db.query("PRAGMA integrity_check");
          await db.close();
          await window.wsq.deleteDatabase("quota.db", { storage: "idb" });
          return { n, check: check.integrity_check };
        });
        assert.deepEqual(after, { n: full.n + 1, check: "ok" });
      } finally {
        await cdp.send("Storage.overrideQuotaForOrigin", { origin }).catch(() => {});
        await page.close();
      }
    },
  );
});

describe("the synchronous API on IndexedDB", () => {
  it(
    "flush() resolves once IndexedDB holds the commits: a worker that closes right after keeps them",
    { skip: unless(can, "indexedDB") },
    async () => {
      const page = await testPage(context, server.url);
      try {
        const run = (source) =>
          page.evaluate(async (source) => {
            const sync = new URL("/js/dist/web/sync.js", location.href);
            const code =
              `import { Database } from "${sync}";\n` +
              `try { ${source} } catch (e) { postMessage({ error: e.code + ": " + e.message }); }`;
            const url = URL.createObjectURL(new Blob([code], { type: "text/javascript" }));
            return new Promise((resolve) => {
              const worker = new Worker(url, { type: "module" });
              worker.onmessage = (e) => resolve(e.data);
              worker.onerror = (e) => resolve({ error: e.message || "the worker failed" });
            });
          }, source);
        await run(`
          const db = await Database.open("flushed.db", { storage: "idb" });
          db.exec("CREATE TABLE IF NOT EXISTS t(v); INSERT INTO t VALUES ('flushed')");
          await db.flush();
          postMessage("flushed");
          close(); // the worker ends here: no save after this task
        `);
        const rows = await run(`
          const db = await Database.open("flushed.db", { storage: "idb" });
          const rows = db.selectValues("SELECT v FROM t");
          await db.closeAsync();
          postMessage(rows);
        `);
        assert.deepEqual(rows, ["flushed"]);
        await page.evaluate(() => window.wsq.deleteDatabase("flushed.db", { storage: "idb" }));
      } finally {
        await page.close();
      }
    },
  );
});
