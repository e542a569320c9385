// The in-page half of bench/drivers.mjs, imported into e2e/pages/drivers.html (whose import map
// has Kysely and Drizzle): the same queries through the plain Promise API, Kysely
// (web-sqlite/kysely) and Drizzle (web-sqlite/drizzle); and live queries (db.watch).
import { Kysely } from "kysely";
import { eq } from "drizzle-orm";
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import * as wsq from "../../js/dist/web/index.js";
import { WebSqliteDialect } from "../../js/dist/src/drivers/kysely.js";
import { drizzle } from "../../js/dist/src/drivers/drizzle.js";

const items = sqliteTable("items", {
  id: integer("id").primaryKey(),
  name: text("name").notNull(),
  qty: integer("qty").notNull(),
});
const bulk = sqliteTable("bulk", {
  id: integer("id").primaryKey(),
  name: text("name").notNull(),
  qty: integer("qty").notNull(),
});

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Each workload through each contestant, the contestants in turn within each round; the median
 * of the rounds, in ms. points: point queries per sample (a sample is their mean: the page's
 * clock has 0.1 ms steps); selects: 1,000-row selects per sample; rows: rows inserted in one
 * transaction.
 */
window.benchDrivers = async ({ rounds, points, selects, rows }) => {
  const db = await wsq.open("bench-drivers.db");
  await db.exec(
    "DROP TABLE IF EXISTS items; DROP TABLE IF EXISTS bulk;" +
      "CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER NOT NULL);" +
      "CREATE TABLE bulk(id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER NOT NULL);" +
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) " +
      "INSERT INTO items SELECT i, 'item ' || i, i % 7 FROM n",
  );
  const kysely = new Kysely({ dialect: new WebSqliteDialect({ database: db }) });
  const orm = drizzle(db);
  const values = Array.from({ length: rows }, (_, i) => ({ name: `row ${i}`, qty: i % 7 }));
  const contestants = {
    plain: {
      point: (id) => db.query("SELECT * FROM items WHERE id = ?", [id]),
      select: () => db.query("SELECT * FROM items LIMIT ?", [1000]),
      insert: () =>
        db.transaction(async (tx) => {
          for (const v of values) {
            await tx.exec("INSERT INTO bulk(name, qty) VALUES (?, ?)", [v.name, v.qty]);
          }
        }),
    },
    kysely: {
      point: (id) => kysely.selectFrom("items").selectAll().where("id", "=", id).executeTakeFirst(),
      select: () => kysely.selectFrom("items").selectAll().limit(1000).execute(),
      insert: () =>
        kysely.transaction().execute(async (trx) => {
          for (const v of values) await trx.insertInto("bulk").values(v).execute();
        }),
    },
    drizzle: {
      point: (id) => orm.select().from(items).where(eq(items.id, id)).get(),
      select: () => orm.select().from(items).limit(1000).all(),
      insert: () =>
        orm.transaction(async (tx) => {
          for (const v of values) await tx.insert(bulk).values(v);
        }),
    },
  };
  const samples = {};
  for (const name of Object.keys(contestants))
    samples[name] = { point: [], select: [], insert: [] };
  // Warm-up: every path once.
  for (const c of Object.values(contestants)) {
    await c.point(1);
    await c.select();
  }
  for (let round = 0; round < rounds; round++) {
    for (const [name, c] of Object.entries(contestants)) {
      let t = performance.now();
      for (let i = 0; i < points; i++) await c.point(1 + ((i * 37) % 1000));
      samples[name].point.push((performance.now() - t) / points);
      t = performance.now();
      for (let i = 0; i < selects; i++) await c.select();
      samples[name].select.push((performance.now() - t) / selects);
      await db.exec("DELETE FROM bulk");
      t = performance.now();
      await c.insert();
      samples[name].insert.push(performance.now() - t);
    }
  }
  await kysely.destroy(); // closes db
  const out = {};
  for (const [name, s] of Object.entries(samples)) {
    out[name] = { point: median(s.point), select: median(s.select), insert: median(s.insert) };
  }
  return out;
};

/** Opens the live-query database of this tab (window.live), with table `live`. */
window.openLive = async () => {
  window.live = await wsq.open("bench-live.db");
  await window.live.exec("CREATE TABLE IF NOT EXISTS live(v)");
};

/**
 * Watches count(*) of `live` in this tab: each call back's time (performance.timeOrigin +
 * performance.now(): one clock for every tab) goes to window.heard.
 */
window.watchLive = async () => {
  window.heard = [];
  window.stopLive = await window.live.watch("SELECT count(*) AS n FROM live", [], () =>
    window.heard.push(performance.timeOrigin + performance.now()),
  );
};

/** One commit to `live`: when it was called and when it resolved, on the shared clock. */
window.commitLive = async () => {
  const called = performance.timeOrigin + performance.now();
  await window.live.exec("INSERT INTO live VALUES (1)");
  return { called, resolved: performance.timeOrigin + performance.now() };
};
