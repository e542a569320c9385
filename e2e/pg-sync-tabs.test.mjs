// Sync with PostgreSQL in many tabs of Chromium (OPFS): one sync per database, in the tab that
// holds it, whichever tab asked; the other tabs see its changes; when the holding tab closes,
// the sync moves with the database.
import assert from "node:assert/strict";
import http from "node:http";
import { after, before, describe, it } from "node:test";
import pg from "pg";

import { createSyncServer } from "../js/dist/src/server/index.js";
import { startSession } from "./harness.mjs";
import { startPostgres } from "./postgres.mjs";

const session = await startSession({ port: 8820 });
let postgres;
let sql;
let server;
let web;
let url;
let pulling = 0;
let mostPulling = 0;
const hellos = [];

async function tab(name) {
  const page = await session.context.newPage();
  page.on("pageerror", (e) => console.log(`${name}: ${e.message}`));
  await page.goto(`${session.server.url}/e2e/pages/blank.html`);
  await page.evaluate(async (url) => {
    const { open } = await import("/js/dist/web/index.js");
    window.db = await open("tabs.db");
    await window.db.exec("CREATE TABLE IF NOT EXISTS todos (id TEXT PRIMARY KEY, title TEXT)");
    window.sync = await window.db.sync({ url, tables: ["todos"] });
  }, url);
  return page;
}

before(async () => {
  postgres = await startPostgres();
  sql = new pg.Client({ connectionString: postgres.url });
  await sql.connect();
  await sql.query("CREATE TABLE todos (id text PRIMARY KEY, title text)");
  server = await createSyncServer({ postgres: postgres.url, tables: ["todos"], cors: true });
  // Counts the pulls waiting at once: one engine pulls one at a time.
  web = http.createServer((req, res) => {
    if (req.url.endsWith("/hello")) hellos.push(Date.now());
    if (req.url.endsWith("/pull")) {
      mostPulling = Math.max(mostPulling, ++pulling);
      res.on("close", () => pulling--);
    }
    server.handler(req, res);
  });
  await new Promise((resolve) => web.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${web.address().port}/sync`;
});

after(async () => {
  await session.close();
  web?.closeAllConnections();
  web?.close();
  await server?.close();
  await sql?.end();
  await postgres?.stop();
});

describe("sync with PostgreSQL in many tabs (Chromium, OPFS)", () => {
  it("runs once for the database, and moves with it when its tab closes", async () => {
    const first = await tab("first"); // opens first: holds the database
    const second = await tab("second");
    const third = await tab("third");
    await second.evaluate(() =>
      window.db.exec("INSERT INTO todos VALUES ('t1', 'from the second tab')"),
    );
    await second.evaluate(() => window.sync.whenSynced({ timeoutMs: 60000 }));
    assert.deepEqual((await sql.query("SELECT id, title FROM todos")).rows, [
      { id: "t1", title: "from the second tab" },
    ]);
    assert.equal(mostPulling, 1, "one engine pulls, however many tabs asked");
    assert.equal((await sql.query("SELECT count(*)::int AS n FROM wsq_sync.clients")).rows[0].n, 1);

    // A write made in Postgres reaches every tab's change events.
    await third.evaluate(() => {
      window.heard = new Promise((resolve) => {
        window.db.watch(
          "SELECT title FROM todos WHERE id = 't2'",
          [],
          (rows) => rows.length && resolve(rows[0].title),
        );
      });
    });
    await sql.query("INSERT INTO todos VALUES ('t2', 'from psql')");
    assert.equal(await third.evaluate(() => window.heard), "from psql");

    // The holding tab closes: the database, and its sync, move to another tab.
    await first.close();
    await third.evaluate(() => window.db.exec("INSERT INTO todos VALUES ('t3', 'after the move')"));
    await third.evaluate(() => window.sync.whenSynced({ timeoutMs: 60000 }));
    await second.evaluate(() => window.sync.whenSynced({ timeoutMs: 60000 }));
    assert.equal(
      (await sql.query("SELECT title FROM todos WHERE id = 't3'")).rows[0]?.title,
      "after the move",
    );
    assert.ok(hellos.length >= 2, "the sync started again at the new holder");
    assert.equal(await second.evaluate(() => window.sync.status), "online");
    await sql.query("INSERT INTO todos VALUES ('t4', 'to the new holder')");
    await second.evaluate(() => window.sync.whenSynced({ timeoutMs: 60000 }));
    assert.deepEqual(
      await second.evaluate(() => window.db.query("SELECT id FROM todos ORDER BY id")),
      [{ id: "t1" }, { id: "t2" }, { id: "t3" }, { id: "t4" }],
    );
  });
});
