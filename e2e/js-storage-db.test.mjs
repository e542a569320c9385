// JsStorageDb on a page's main thread, in the engine of this run (WSQ_ENGINE, e2e/harness.mjs): localStorage and sessionStorage, persistence
// across a reload, clearStorage / storageSize, the quota, and the error where there is no Web
// Storage (a worker).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { ENGINE, startSession } from "./harness.mjs";

let session;

before(async () => {
  session = await startSession({ port: 8793 });
});

after(() => session?.close());

async function syncPage() {
  const page = await session.context.newPage();
  await page.goto(`${session.server.url}/e2e/pages/sync.html`);
  await page.waitForFunction(() => window.sync !== undefined);
  return page;
}

describe(`JsStorageDb (${ENGINE.name} main thread)`, () => {
  it("stores a database in localStorage and sessionStorage, kept across a reload", async () => {
    const page = await syncPage();
    try {
      const first = await page.evaluate(() => {
        const out = {};
        for (const which of ["local", "session"]) {
          const db = new window.sync.JsStorageDb(which);
          db.clearStorage();
          db.exec("CREATE TABLE t(v); INSERT INTO t VALUES (?)", { bind: [`in ${which}`] });
          out[which] = {
            rows: db.selectValues("SELECT v FROM t"),
            size: db.storageSize(),
            keys: Object.keys(which === "local" ? localStorage : sessionStorage).filter((k) =>
              k.startsWith(`kvvfs-${which}-`),
            ).length,
          };
          db.close();
        }
        return out;
      });
      assert.deepEqual(first.local.rows, ["in local"]);
      assert.deepEqual(first.session.rows, ["in session"]);
      assert.ok(first.local.size > 0 && first.local.keys >= 2, JSON.stringify(first));
      await page.reload();
      await page.waitForFunction(() => window.sync !== undefined);
      const again = await page.evaluate(() => {
        const local = new window.sync.JsStorageDb("local");
        const session = new window.sync.JsStorageDb("session");
        const out = {
          local: local.selectValues("SELECT v FROM t"),
          session: session.selectValues("SELECT v FROM t"),
          check: local.selectValue("PRAGMA integrity_check"),
        };
        out.cleared = local.clearStorage() > 0;
        out.afterClear = local.selectValue("SELECT count(*) FROM sqlite_schema WHERE name = 't'");
        out.sizeAfterClear = local.storageSize();
        local.close();
        session.close();
        return out;
      });
      assert.deepEqual(again.local, ["in local"], "localStorage survives a reload");
      assert.deepEqual(
        again.session,
        ["in session"],
        "sessionStorage survives a reload of the tab",
      );
      assert.equal(again.check, "ok");
      assert.ok(again.cleared);
      assert.equal(again.afterClear, 0, "the database is empty after clearStorage()");
      assert.equal(again.sizeAfterClear, 0);
    } finally {
      await page.close();
    }
  });

  it("reports the quota as SQLITE_FULL and keeps the database intact", async () => {
    const page = await syncPage();
    try {
      const r = await page.evaluate(() => {
        const db = new window.sync.JsStorageDb("local");
        db.clearStorage();
        db.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, pad BLOB)");
        let committed = 0;
        let error = null;
        for (let i = 0; i < 400 && !error; i++) {
          try {
            db.exec("INSERT INTO t(pad) VALUES (randomblob(50000))");
            committed++;
          } catch (e) {
            error = { name: e.name, code: e.code, message: e.message };
          }
        }
        const out = {
          committed,
          error,
          count: db.selectValue("SELECT count(*) FROM t"),
          check: db.selectValue("PRAGMA integrity_check"),
        };
        // Usable again once there is room.
        db.exec("DELETE FROM t WHERE id > 2");
        db.exec("INSERT INTO t(pad) VALUES (x'00')");
        out.afterDelete = db.selectValue("SELECT count(*) FROM t");
        db.clearStorage();
        db.close();
        return out;
      });
      assert.ok(r.error, "the quota was reached");
      assert.equal(r.error.code, "SQLITE_FULL", JSON.stringify(r.error));
      assert.equal(r.error.name, "SQLiteError");
      assert.equal(r.count, r.committed, "every committed row is there, the failed one is not");
      assert.equal(r.check, "ok");
      assert.equal(r.afterDelete, 3);
    } finally {
      await page.close();
    }
  });

  it("explains that a worker has no Web Storage", async () => {
    const page = await syncPage();
    try {
      const message = await page.evaluate(
        () =>
          new Promise((resolve) => {
            const source =
              `import("${location.origin}/js/dist/web/sync.js").then(async (s) => {` +
              "await s.Database.ready();" +
              "try { new s.JsStorageDb('local'); postMessage('opened'); }" +
              "catch (e) { postMessage(e.code + ': ' + e.message); } });";
            const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
            const worker = new Worker(url, { type: "module" });
            worker.onmessage = (e) => resolve(e.data);
          }),
      );
      assert.match(message, /^UNSUPPORTED: JsStorageDb needs Web Storage/);
    } finally {
      await page.close();
    }
  });
});
