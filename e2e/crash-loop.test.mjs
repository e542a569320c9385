// Crashes in the real browser: while a page writes transactions to OPFS (and to IndexedDB), the
// worker is terminated, or the page reloaded or closed, at random moments — 50 times (20 in
// IndexedDB). After each, the database must pass integrity_check, hold every transaction whose
// commit resolved, and hold no transaction partly.
import assert from "node:assert/strict";
import { after, it } from "node:test";

import { STORAGES, startSession, testPage, unless } from "./harness.mjs";

const ROUNDS = { opfs: 50, idb: 20 };
const ROWS_PER_TX = 5;

const session = await startSession({ port: 8795 });
const can = await session.capabilities();
after(() => session.close());

/** Starts a writer in the page: transactions of ROWS_PER_TX rows tagged with their id. */
const exposed = new WeakSet();

async function startWriter(page, round, report) {
  if (!exposed.has(page)) {
    await page.exposeFunction("reportCommit", report);
    exposed.add(page);
  }
  await page.evaluate(
    async ({ round, rows }) => {
      const db = await window.wsq.open("crash-loop.db");
      await db.exec("CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, tx TEXT, pad BLOB)");
      window.writing = (async () => {
        for (let n = 0; ; n++) {
          const tx = `${round}-${n}`;
          await db.transaction(async (t) => {
            for (let i = 0; i < rows; i++) {
              await t.exec("INSERT INTO t(tx, pad) VALUES (?, randomblob(?))", [tx, 200 + i * 500]);
            }
          });
          await window.reportCommit(tx);
        }
      })().catch(() => {});
    },
    { round, rows: ROWS_PER_TX },
  );
}

/** Opens the database in a fresh page (retrying while a dying worker still holds it). */
async function check(page) {
  return page.evaluate(async (rows) => {
    let db;
    let attempt = 0;
    for (; ; attempt++) {
      try {
        db = await window.wsq.open("crash-loop.db");
        break;
      } catch (e) {
        if (e.code !== "DATABASE_IN_USE" || attempt > 20) throw e;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    const integrity = await db.query("PRAGMA integrity_check");
    const groups = await db.queryArrays("SELECT tx, count(*) FROM t GROUP BY tx");
    await db.close();
    return {
      retries: attempt,
      integrity: integrity[0].integrity_check,
      partial: groups.rows.filter(([, n]) => n !== rows).map(([tx]) => tx),
      present: groups.rows.map(([tx]) => tx),
    };
  }, ROWS_PER_TX);
}

for (const { storage, title, needs } of STORAGES) {
  const rounds = Number(process.env.CRASH_ROUNDS ?? ROUNDS[storage]);
  const name = `keeps every resolved commit through ${rounds} crashes of the worker or the page (${title})`;
  it(name, { skip: unless(can, needs) }, () => crashLoop(storage, rounds));
}

async function crashLoop(storage, rounds) {
  const resolved = new Set();
  const kinds = { terminate: 0, reload: 0, close: 0 };
  let retries = 0;
  const fresh = () => testPage(session.context, session.server.url, storage);
  let page = await fresh();
  for (let round = 0; round < rounds; round++) {
    await startWriter(page, round, (tx) => resolved.add(tx));
    await new Promise((r) => setTimeout(r, 30 + Math.random() * 250));
    const kind = ["terminate", "reload", "close"][round % 3];
    kinds[kind]++;
    if (kind === "terminate") {
      await page.evaluate(() => window.wsq.shutdown());
    } else if (kind === "reload") {
      await page.reload();
      await page.waitForFunction(() => window.wsq !== undefined);
    } else {
      await page.close();
      page = await fresh();
    }
    const result = await check(page);
    retries += result.retries;
    assert.equal(result.integrity, "ok", `round ${round} (${kind})`);
    assert.deepEqual(result.partial, [], `round ${round} (${kind}): a transaction is partly there`);
    const present = new Set(result.present);
    const missing = [...resolved].filter((tx) => !present.has(tx));
    assert.deepEqual(missing, [], `round ${round} (${kind}): resolved commits are missing`);
    if (kind === "reload") {
      // The reloaded page starts over: a fresh page for the next writer.
      await page.close();
      page = await fresh();
    }
  }
  await page.close();
  console.log(
    `browser crashes in ${storage}: ${rounds} (${kinds.terminate} worker terminations, ${kinds.reload} reloads, ` +
      `${kinds.close} page closes); ${resolved.size} resolved commits, all present; ` +
      `${retries} reopen retries while a dying worker still held the file`,
  );
  assert.ok(resolved.size > rounds, "the writers committed between crashes");
}
