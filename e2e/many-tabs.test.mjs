// Many tabs, one database, in a real browser (the engine of this run, WSQ_ENGINE) on the real OPFS
// or IndexedDB, pages without COOP/COEP: every tab
// opens the database by name and uses the whole Promise API; the tab holding it may close,
// reload or crash at any moment, and nothing resolved is lost.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";

import { ENGINE, STORAGES, startSession, testPage, unless } from "./harness.mjs";

const PORT = 8798; // fixed: OPFS belongs to the origin, port included

const session = await startSession({ port: PORT });
const can = await session.capabilities();

after(() => session.close());

/** What the pages printed, shown when a case fails. */
let printed = [];

/** The storage of the case running: its tabs' databases live there (e2e/pages/test.js). */
let storage = null;

const tab = async () => {
  const page = await testPage(session.context, session.server.url, storage);
  page.on("console", (m) => printed.push(`${new Date().toISOString()} ${m.text()}`));
  return page;
};

/**
 * A case of the suite of a storage, failed rather than left hanging if a call never ends
 * (generous: each case takes seconds), with what its pages printed. The names between name and
 * fn say what it needs besides the storage (capabilities, e2e/harness.mjs).
 */
function caseOf(suite, name, ...needsThenFn) {
  const fn = needsThenFn.pop();
  it(name, { skip: unless(can, suite.needs, ...needsThenFn) }, async () => {
    storage = suite.storage;
    printed = [];
    let timer;
    const hang = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error("the case did not end in 240 s")), 240_000);
    });
    try {
      await Promise.race([fn(), hang]);
    } catch (e) {
      console.error(printed.join("\n"));
      throw e;
    } finally {
      clearTimeout(timer);
    }
  });
}

/** Opens name in page as window.db (creating table t) and resolves when it is open. */
async function openIn(page, name) {
  await page.evaluate(async (name) => {
    window.db = await window.wsq.open(name);
    await window.db.exec("CREATE TABLE IF NOT EXISTS t(tab TEXT, i INTEGER, UNIQUE(tab, i))");
  }, name);
}

/**
 * Makes n write transactions in the page (each inserts (label, i) and reads back), concurrently
 * with the other tabs. Resolves with the i of every resolved commit and the codes of the errors.
 */
function writeIn(page, label, n) {
  return page.evaluate(
    async ({ label, n }) => {
      const committed = [];
      const errors = [];
      for (let i = 0; i < n; i++) {
        try {
          await window.db.transaction(async (tx) => {
            await tx.exec("INSERT INTO t VALUES (?, ?)", [label, i]);
            await tx.query("SELECT count(*) AS n FROM t WHERE tab = ?", [label]);
          });
          committed.push(i);
        } catch (e) {
          errors.push(`${e.code}: ${e.message}`);
          console.log(`${label} ${i}: ${e.code}: ${e.message}`);
        }
        if (i % 10 === 0) await window.db.query("SELECT count(*) FROM t");
        if (i % 25 === 0) console.log(`${label} at ${i}`); // shown if the case hangs
      }
      return { committed, errors };
    },
    { label, n },
  );
}

/** The rows of t by tab, and integrity_check, as the page sees them. */
function contents(page) {
  return page.evaluate(async () => {
    const rows = await window.db.query("SELECT tab, i FROM t ORDER BY tab, i");
    const [check] = await window.db.query("PRAGMA integrity_check");
    const byTab = {};
    for (const { tab, i } of rows) (byTab[tab] ??= []).push(i);
    return { byTab, check: check.integrity_check };
  });
}

/** The same calls, as a user makes them, in a page: what each returned or threw. */
function everyCall(page, table) {
  return page.evaluate(async (table) => {
    const db = window.db;
    const out = [];
    const note = async (what, fn) => {
      try {
        const value = await fn();
        out.push([what, value instanceof Uint8Array ? ["bytes", value.length > 0] : value]);
      } catch (e) {
        out.push([
          what,
          { name: e.name, code: e.code, resultCode: e.resultCode, offset: e.offset },
        ]);
      }
    };
    await note("exec", () => db.exec(`CREATE TABLE ${table}(k INTEGER PRIMARY KEY, v)`));
    await note("insert", () =>
      db.exec(`INSERT INTO ${table}(v) VALUES (?), (?)`, ["a", 2n ** 60n]),
    );
    await note("query", () => db.query(`SELECT * FROM ${table} ORDER BY k`));
    await note("queryArrays", () => db.queryArrays(`SELECT k, v FROM ${table} ORDER BY k`));
    await note("sql", () => db.sql`SELECT v FROM ${table} WHERE k = ${1}`);
    await note("commit", () =>
      db.transaction(async (tx) => {
        await tx.exec(`INSERT INTO ${table}(v) VALUES (x'0102')`);
        return tx.transaction((inner) => inner.query(`SELECT count(*) AS n FROM ${table}`));
      }),
    );
    await note("rollback", () =>
      db.transaction(async (tx) => {
        await tx.exec(`INSERT INTO ${table}(v) VALUES ('gone')`);
        throw new Error("undo");
      }),
    );
    await note("after rollback", () => db.query(`SELECT count(*) AS n FROM ${table}`));
    await note("prepare", async () => {
      const stmt = await db.prepare(`SELECT v FROM ${table} WHERE k = ?`);
      const got = [await stmt.get([1]), await stmt.all([2]), await stmt.get([99])];
      await stmt.finalize();
      return got;
    });
    await note("iterate", async () => {
      const rows = [];
      for await (const row of db.iterate(`SELECT k FROM ${table} ORDER BY k`, [], { chunkRows: 1 }))
        rows.push(row.k);
      return rows;
    });
    await note("batch", () =>
      db.batch([`INSERT INTO ${table}(v) VALUES ('b')`, [`SELECT ? AS x`, [5]]]),
    );
    await note("constraint", () => db.exec(`INSERT INTO ${table}(k) VALUES (1)`));
    await note("syntax", () => db.exec(`SELECT * FRM ${table}`));
    await note("batch fails whole", () =>
      db.batch([`INSERT INTO ${table}(v) VALUES ('c')`, `INSERT INTO ${table}(k) VALUES (1)`]),
    );
    await note("export", () => db.export());
    await note("final", () => db.query(`SELECT count(*) AS n FROM ${table}`));
    return out;
  }, table);
}

/**
 * The cases, in a storage; only: the names (their starts) of the cases to run there, or all.
 * Sharing a database between tabs is the same in every storage; what differs is how a holder
 * gets the files (OPFS's exclusive handles, IndexedDB's lock and load).
 */
function manyTabs(suite, only = null) {
  const test = (name, ...rest) => {
    if (!only || only.some((start) => name.startsWith(start))) caseOf(suite, name, ...rest);
  };
  describe(`many tabs on one database (${ENGINE.name}, ${suite.title})`, () => {
    test("opens in every tab, with the same results and errors in each", async () => {
      const [first, second] = [await tab(), await tab()];
      try {
        await openIn(first, "calls.db");
        await openIn(second, "calls.db");
        assert.deepEqual(
          await Promise.all([first, second].map((p) => p.evaluate(() => window.db.shared))),
          [true, true],
        );
        const here = await everyCall(first, "holder");
        const there = await everyCall(second, "other");
        assert.deepEqual(there, here);
        // What one tab committed, the other reads.
        const seen = await first.evaluate(() =>
          window.db.query("SELECT count(*) AS n FROM other").then((r) => r[0].n),
        );
        assert.equal(seen, here.find(([what]) => what === "final")[1][0].n);
      } finally {
        await first.close();
        await second.close();
      }
    });

    test("makes each tab prove the key of an encrypted database to the tab that holds it", async () => {
      const [holder, right, wrong, none] = [await tab(), await tab(), await tab(), await tab()];
      const closed = new Set();
      try {
        const opened = (page, key) =>
          page.evaluate(async (key) => {
            try {
              window.db = await window.wsq.open("sealed-tabs.db", key ? { key } : {});
              return window.db.shared ? "shared" : "alone";
            } catch (e) {
              return e.code;
            }
          }, key);
        assert.equal(await opened(holder, "the key"), "shared");
        await holder.evaluate(() =>
          window.db.exec("CREATE TABLE IF NOT EXISTS s(v); INSERT INTO s VALUES ('held')"),
        );
        assert.equal(await opened(wrong, "not the key"), "WRONG_KEY");
        assert.equal(await opened(none, null), "KEY_REQUIRED");
        assert.equal(await opened(right, "the key"), "shared");
        assert.deepEqual(await right.evaluate(() => window.db.query("SELECT v FROM s")), [
          { v: "held" },
        ]);
        // The holder goes: the tab with the key goes on, at the new holder.
        await holder.close();
        closed.add(holder);
        assert.deepEqual(
          await right.evaluate(async () => {
            await window.db.exec("INSERT INTO s VALUES ('after')");
            return window.db.query("SELECT v FROM s ORDER BY rowid");
          }),
          [{ v: "held" }, { v: "after" }],
        );
        assert.equal(await opened(wrong, "still not the key"), "WRONG_KEY");
      } finally {
        for (const page of [holder, right, wrong, none]) if (!closed.has(page)) await page.close();
      }
    });

    test("tells every tab which tables each commit in any tab changed", async () => {
      const tabs = [await tab(), await tab(), await tab()];
      try {
        for (const page of tabs) {
          await openIn(page, "events.db");
          await page.evaluate(() => {
            window.heard = [];
            window.db.onChange((tables) => window.heard.push(tables));
          });
        }
        await tabs[0].evaluate(() => window.db.exec("CREATE TABLE IF NOT EXISTS u(v)"));
        await tabs[1].evaluate(() =>
          window.db.transaction(async (tx) => {
            await tx.exec("INSERT INTO u VALUES (1)");
            await tx.exec("INSERT INTO t VALUES ('b', 1)");
          }),
        );
        await tabs[2].evaluate(() => window.db.exec("INSERT INTO t VALUES ('c', 1)"));
        for (const page of tabs) {
          await page.waitForFunction(() => window.heard.length >= 2, null, { polling: 20 });
          assert.deepEqual(await page.evaluate(() => window.heard), [["u", "t"], ["t"]]);
        }
      } finally {
        for (const page of tabs) await page.close();
      }
    });

    test("migrates once when every tab starts at once, and runs live queries on any tab's commits", async () => {
      const tabs = [await tab(), await tab(), await tab()];
      try {
        for (const page of tabs) await openIn(page, "live.db");
        const steps = [
          "CREATE TABLE seeded(v)",
          { name: "seed", sql: "INSERT INTO seeded VALUES ('once')" },
        ];
        const migrated = await Promise.all(
          tabs.map((page) => page.evaluate((steps) => window.db.migrate(steps), steps)),
        );
        assert.deepEqual(
          migrated.map((r) => r.from).sort(),
          [0, 2, 2],
          "one tab ran the steps, the others found them done",
        );
        for (const page of tabs.slice(0, 2)) {
          await page.evaluate(async () => {
            window.rows = [];
            await window.db.watch("SELECT count(*) AS n FROM seeded", [], (rows) =>
              window.rows.push(rows[0].n),
            );
          });
        }
        await tabs[2].evaluate(async () => {
          await window.db.exec("INSERT INTO t VALUES ('unrelated', 1)");
          await window.db.exec("INSERT INTO seeded VALUES ('two')");
        });
        for (const page of tabs.slice(0, 2)) {
          await page.waitForFunction(() => window.rows.length >= 2, null, { polling: 20 });
          assert.deepEqual(
            await page.evaluate(() => window.rows),
            [1, 2],
            "the rows now, then once for the commit to the table it reads",
          );
        }
      } finally {
        for (const page of tabs) await page.close();
      }
    });

    test("takes 250 write transactions from each of 4 tabs, each exactly once", async () => {
      const tabs = [await tab(), await tab(), await tab(), await tab()];
      try {
        for (const page of tabs) await openIn(page, "four.db");
        const results = await Promise.all(tabs.map((page, k) => writeIn(page, `tab${k}`, 250)));
        for (const r of results) assert.deepEqual(r.errors, []);
        const { byTab, check } = await contents(tabs[3]);
        assert.equal(check, "ok");
        for (let k = 0; k < 4; k++) {
          assert.deepEqual(byTab[`tab${k}`], [...Array(250).keys()], `tab${k}'s commits`);
        }
      } finally {
        for (const page of tabs) await page.close();
      }
    });

    for (const ending of ["closed", "reloaded", "crashed"]) {
      const needs = ending === "crashed" ? ["cdp"] : [];
      test(
        `carries on when the holding tab is ${ending} mid-stream, losing nothing resolved`,
        ...needs,
        async () => {
          const [holder, b, c] = [await tab(), await tab(), await tab()];
          const name = `moves-${ending}.db`;
          try {
            await openIn(holder, name);
            await openIn(b, name);
            await openIn(c, name);
            const writes = [writeIn(b, "b", 150), writeIn(c, "c", 150)];
            // The holder goes once both tabs have commits there.
            await b.waitForFunction(() => window.db !== undefined);
            await holder.waitForFunction(
              () =>
                window.db
                  .query("SELECT count(DISTINCT tab) AS n, count(*) AS rows FROM t")
                  .then((r) => r[0].n === 2 && r[0].rows >= 20),
              null,
              { polling: 50 },
            );
            // Where the case is, in what it prints if it hangs.
            const step = (what) => printed.push(`${new Date().toISOString()} (test) ${what}`);
            step(`both tabs committed at the holder; the holder is ${ending} now`);
            if (ending === "closed") await holder.close();
            else if (ending === "reloaded") await holder.reload();
            else {
              const cdp = await session.context.newCDPSession(holder);
              void cdp.send("Page.crash").catch(() => {}); // the renderer is gone: no answer comes
            }
            writes.forEach((w, i) => w.then(() => step(`the writes of tab ${"bc"[i]} ended`)));
            const results = await Promise.all(writes);
            const { byTab, check } = await contents(b);
            assert.equal(check, "ok");
            for (const [label, r] of [
              ["b", results[0]],
              ["c", results[1]],
            ]) {
              // Only the calls in flight when the holder went may end with a typed error.
              for (const e of r.errors)
                assert.match(e, /^(OUTCOME_UNKNOWN|DATABASE_MOVED|TRANSACTION_ROLLED_BACK):/);
              assert.ok(r.errors.length <= 2, `${label}: ${r.errors.join("; ")}`);
              const present = new Set(byTab[label]);
              for (const i of r.committed)
                assert.ok(present.has(i), `${label}'s commit ${i} is there`);
              assert.equal(present.size, byTab[label].length, "nothing twice");
              assert.ok(byTab[label].length <= r.committed.length + r.errors.length);
            }
          } finally {
            for (const page of [holder, b, c]) await page.close().catch(() => {});
          }
        },
      );
    }

    test("answers reads that were running when the holding tab closed, from the next holder", async () => {
      const [holder, other] = [await tab(), await tab()];
      try {
        await openIn(holder, "long-read.db");
        await openIn(other, "long-read.db");
        // Reads that take seconds (their results are known), sent just before the holder goes:
        // one by query, one by a statement prepared there before.
        await other.evaluate(async () => {
          const count = (n) =>
            `WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ${n}) ` +
            "SELECT count(*) AS n FROM c";
          const stmt = await window.db.prepare(count(20000000));
          const settle = (p) =>
            p.then(
              (row) => row.n,
              (e) => `${e.code}: ${e.message}`,
            );
          window.read = settle(window.db.query(count(30000000)).then((rows) => rows[0]));
          window.statementRead = settle(stmt.get());
        });
        await new Promise((resolve) => setTimeout(resolve, 300));
        await holder.close();
        // Whether it was running or still queued there, it left no trace: it runs again.
        assert.equal(await other.evaluate(() => window.read), 30000000);
        assert.equal(await other.evaluate(() => window.statementRead), 20000000);
      } finally {
        await holder.close().catch(() => {});
        await other.close();
      }
    });

    test(
      "bounds the wait for a frozen holding tab with timeoutMs, and goes on once it thaws",
      "cdp",
      async () => {
        const [holder, other] = [await tab(), await tab()];
        try {
          await openIn(holder, "frozen.db");
          await holder.evaluate(() => window.db.exec("INSERT INTO t VALUES ('holder', 1)"));
          await other.evaluate(async () => {
            window.timed = await window.wsq.open("frozen.db", { timeoutMs: 2000 });
          });
          // Chromium's page lifecycle freeze: the holder keeps its lock and its files.
          const cdp = await session.context.newCDPSession(holder);
          await cdp.send("Page.setWebLifecycleState", { state: "frozen" });
          const during = await other.evaluate(() =>
            window.timed.exec("INSERT INTO t VALUES ('other', 1)").then(
              () => "carried on",
              (e) => e.code,
            ),
          );
          assert.ok(["carried on", "TIMEOUT"].includes(during), during);
          await cdp.send("Page.setWebLifecycleState", { state: "active" });
          await other.evaluate(() => window.timed.exec("INSERT INTO t VALUES ('other', 2)"));
          const { byTab, check } = await contents(holder);
          assert.equal(check, "ok");
          assert.deepEqual(byTab.holder, [1]);
          // What timed out was either never run or rolled back: never half there, never twice.
          assert.deepEqual(byTab.other, during === "TIMEOUT" ? [2] : [1, 2]);
        } finally {
          await holder.close();
          await other.close();
        }
      },
    );

    test("makes other tabs wait for a tab's transaction", async () => {
      const [holder, other] = [await tab(), await tab()];
      try {
        await openIn(holder, "waits.db");
        await openIn(other, "waits.db");
        // The other tab opens a transaction and writes in it.
        await other.evaluate(() => {
          window.inside = new Promise((entered) => {
            window.finish = null;
            window.tx = window.db.transaction(async (tx) => {
              await tx.exec("INSERT INTO t VALUES ('other', 1)");
              entered();
              await new Promise((resolve) => (window.finish = resolve));
              await tx.exec("INSERT INTO t VALUES ('other', 2)");
            });
          });
          return window.inside;
        });
        // The holding tab's write waits for it (its other database does not).
        await holder.evaluate(async () => {
          window.done = false;
          window.write = window.db
            .exec("INSERT INTO t VALUES ('holder', 1)")
            .then(() => (window.done = true));
          const side = await window.wsq.open("waits-side.db");
          await side.exec("CREATE TABLE IF NOT EXISTS s(v)");
          await side.close();
        });
        assert.equal(await holder.evaluate(() => window.done), false, "the write waits");
        await other.evaluate(() => {
          window.finish();
          return window.tx;
        });
        await holder.evaluate(() => window.write);
        let rows = await holder.evaluate(() =>
          window.db.query("SELECT tab, i FROM t ORDER BY rowid"),
        );
        assert.deepEqual(rows, [
          { tab: "other", i: 1 },
          { tab: "other", i: 2 },
          { tab: "holder", i: 1 },
        ]);

        assert.equal(await contents(holder).then((c) => c.check), "ok");
      } finally {
        await holder.close().catch(() => {});
        await other.close().catch(() => {});
      }
    });

    test("bounds the wait for another tab's transaction with busyTimeoutMs", async () => {
      const [holder, other] = [await tab(), await tab()];
      try {
        await openIn(holder, "busy.db");
        // The timeout is the thing under test: the transaction below never ends before it.
        await other.evaluate(async () => {
          window.busy = await window.wsq.open("busy.db", { busyTimeoutMs: 2000 });
        });
        // The holder's transaction does not end until the test ends it.
        await holder.evaluate(() => {
          window.db.transaction(async (tx) => {
            await tx.exec("INSERT INTO t VALUES ('holder', 1)");
            window.inside = true;
            await new Promise((resolve) => (window.finish = resolve));
          });
        });
        await holder.waitForFunction(() => window.inside === true);
        const error = await other.evaluate(() =>
          window.busy.exec("INSERT INTO t VALUES ('other', 1)").then(
            () => "ran",
            (e) => ({ code: e.code, message: e.message }),
          ),
        );
        assert.equal(error.code, "SQLITE_BUSY");
        assert.match(error.message, /busyTimeoutMs \(2000 ms\)/);
        await holder.evaluate(() => window.finish());
        await other.evaluate(() => window.busy.exec("INSERT INTO t VALUES ('other', 2)"));
        assert.deepEqual((await contents(holder)).byTab, { holder: [1], other: [2] });
      } finally {
        await holder.close();
        await other.close();
      }
    });

    for (const ending of ["closed", "crashed"]) {
      const needs = ending === "crashed" ? ["cdp"] : [];
      test(
        `rolls back the transaction of a tab ${ending} in one, and the others go on`,
        ...needs,
        async () => {
          const [holder, other] = [await tab(), await tab()];
          const name = `rolled-back-${ending}.db`;
          try {
            await openIn(holder, name);
            await openIn(other, name);
            // The other tab writes in a transaction, and never ends it.
            await other.evaluate(() => {
              window.db.transaction(async (tx) => {
                await tx.exec("INSERT INTO t VALUES ('other', 1)");
                window.inserted = true;
                await new Promise(() => {});
              });
            });
            await other.waitForFunction(() => window.inserted === true);
            // The holder's write waits for that transaction.
            await holder.evaluate(() => {
              window.done = false;
              window.write = window.db
                .exec("INSERT INTO t VALUES ('holder', 1)")
                .then(() => (window.done = true));
            });
            await holder.evaluate(() => window.wsq.listDatabases());
            assert.equal(await holder.evaluate(() => window.done), false, "the write waits");
            if (ending === "closed") await other.close();
            else {
              const cdp = await session.context.newCDPSession(other);
              void cdp.send("Page.crash").catch(() => {}); // no answer comes
            }
            await holder.evaluate(() => window.write);
            const { byTab, check } = await contents(holder);
            assert.equal(check, "ok");
            assert.deepEqual(byTab, { holder: [1] }, "the other tab's insert was rolled back");
          } finally {
            await holder.close();
            await other.close().catch(() => {});
          }
        },
      );
    }

    test("refuses import and delete of a database another tab has open, with typed errors", async () => {
      const [holder, other] = [await tab(), await tab()];
      try {
        await openIn(holder, "kept.db");
        await holder.evaluate(() => window.db.exec("INSERT INTO t VALUES ('holder', 1)"));
        const bytes = await holder.evaluate(async () => Array.from(await window.db.export()));
        const tried = await other.evaluate(async (bytes) => {
          const code = (p) =>
            p.then(
              () => "done",
              (e) => e.code,
            );
          return {
            delete: await code(window.wsq.deleteDatabase("kept.db")),
            import: await code(window.wsq.importDatabase("kept.db", new Uint8Array(bytes))),
          };
        }, bytes);
        assert.deepEqual(tried, { delete: "DATABASE_IN_USE", import: "DATABASE_IN_USE" });
        const here = await holder.evaluate(() =>
          window.wsq.deleteDatabase("kept.db").then(
            () => "done",
            (e) => e.code,
          ),
        );
        assert.equal(here, "DATABASE_OPEN");
        assert.deepEqual((await contents(holder)).byTab, { holder: [1] }, "untouched");
      } finally {
        await holder.close();
        await other.close();
      }
    });

    test("keeps to one tab at a time where tabs cannot share (no SharedWorker)", async () => {
      const [first, second] = [await tab(), await tab()];
      try {
        const open = (page) =>
          page.evaluate(async () => {
            delete window.SharedWorker;
            try {
              window.db = await window.wsq.open("alone.db");
              return window.db.shared;
            } catch (e) {
              return e.code;
            }
          });
        assert.equal(await open(first), false, "db.shared");
        const heard = await first.evaluate(async () => {
          const tables = new Promise((resolve) => window.db.onChange(resolve));
          await window.db.exec("CREATE TABLE IF NOT EXISTS a(v); INSERT INTO a VALUES (1)");
          return tables;
        });
        assert.deepEqual(heard, ["a"], "change events without sharing");
        assert.equal(await open(second), "DATABASE_IN_USE");
        await first.evaluate(() => window.db.close());
        assert.equal(await open(second), false, "once the first closed it");
      } finally {
        await first.close();
        await second.close();
      }
    });

    test("says so when the broker cannot load, and the tab holding the database goes on", async () => {
      // Another origin (port), whose broker.js is not deployed.
      const broken = await startSession({
        port: 8786,
        redirects: { "/js/dist/web/broker.js": "/not-deployed.js" },
      });
      try {
        const [holder, other] = [
          await testPage(broken.context, broken.server.url),
          await testPage(broken.context, broken.server.url),
        ];
        await openIn(holder, "no-broker.db");
        const error = await other.evaluate(() =>
          window.wsq.open("no-broker.db").then(
            () => "opened",
            (e) => ({ code: e.code, message: e.message }),
          ),
        );
        assert.equal(error.code, "DATABASE_IN_USE");
        assert.match(error.message, /broker\.js.*did not start/);
        await holder.evaluate(() => window.db.exec("INSERT INTO t VALUES ('holder', 1)"));
        assert.deepEqual((await contents(holder)).byTab, { holder: [1] });
      } finally {
        await broken.close();
      }
    });

    test("keeps a database that a worker opened with the synchronous API to that worker", async () => {
      const page = await tab();
      try {
        const r = await page.evaluate(async () => {
          const worker = new Worker("/e2e/pages/sync-holder.js", { type: "module" });
          const ask = (message) =>
            new Promise((resolve) => {
              worker.onmessage = (e) => resolve(e.data);
              worker.postMessage(message);
            });
          const held = await ask({ op: "open", name: "sync-held.db", storage: window.testStorage });
          const promiseApi = await window.wsq.open("sync-held.db").then(
            () => ({ code: "opened" }),
            (e) => ({ code: e.code, message: e.message }),
          );
          await ask({ op: "close" });
          // Once the worker let it go, a page opens it; then the worker cannot.
          const db = await window.wsq.open("sync-held.db");
          const syncApi = await ask({
            op: "open",
            name: "sync-held.db",
            storage: window.testStorage,
          });
          await db.close();
          const after = await ask({
            op: "open",
            name: "sync-held.db",
            storage: window.testStorage,
          });
          worker.terminate();
          return { held, promiseApi, syncApi, after };
        });
        assert.deepEqual(r.held, { ok: true });
        assert.equal(r.promiseApi.code, "DATABASE_IN_USE", r.promiseApi.message);
        assert.equal(r.syncApi.code, "DATABASE_IN_USE", r.syncApi.message);
        assert.deepEqual(r.after, { ok: true });
      } finally {
        await page.close();
      }
    });
  });
}

// Every case in the storage open() picks here (OPFS, or IndexedDB where OPFS is missing); the
// main ones in the other storage too.
const main = STORAGES.find(({ needs }) => can[needs] === true) ?? STORAGES[0];
manyTabs(main);
for (const other of STORAGES.filter((s) => s !== main)) {
  manyTabs(other, [
    "opens in every tab",
    "carries on when the holding tab is closed",
    "carries on when the holding tab is crashed",
  ]);
}
