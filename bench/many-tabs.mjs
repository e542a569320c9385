// Many tabs on one database, through the Promise API in Chromium on OPFS: round trips, rows and
// pipelined queries from the tab that holds the database and from one that does not, against a
// bare postMessage echo to a worker in the same page (the floor of any worker round trip); the
// time the others go without an answer when the holding tab closes; 4 tabs writing against 1.
// Prints markdown tables; never fails on slow numbers.
//
//   node bench/many-tabs.mjs            (make bench runs it)
//   node bench/many-tabs.mjs --quick    (tiny sizes: checks the harness still runs)
import { record } from "./results.mjs";
import { freshProfile, launch, removeProfile, testPage } from "../e2e/harness.mjs";
import { serve } from "../e2e/server.mjs";

const quick = process.argv.includes("--quick");
const TRIPS = quick ? 50 : 3000;
const ROWS = quick ? 1000 : 100_000;
const PIPELINED = quick ? 100 : 20_000;
const HANDOVERS = quick ? 1 : 5;
const WRITES = quick ? 20 : 400;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms) => (ms < 1 ? ms.toFixed(3) : ms.toFixed(1));

const server = await serve({ port: 8789 });
const profile = freshProfile();
const context = await launch(profile);
const tab = () => testPage(context, server.url);

/** Round trips in a page: p50 and p95 over `trips` awaited calls (after a warm-up). */
function roundTrips(page, kind, trips) {
  return page.evaluate(
    async ({ kind, trips }) => {
      // The echo: a worker that posts back what it gets, on its own port or on a port that
      // another tab left at a relay (kind "echo-other-tab").
      const source =
        "onmessage = (e) => { const p = e.ports[0]; if (p) p.onmessage = (m) => p.postMessage(m.data); else postMessage(e.data); }";
      const relay = () => new SharedWorker("/bench/pages/echo-relay.js").port;
      let port;
      if (kind === "echo" || kind === "leave-echo") {
        const worker = new Worker(URL.createObjectURL(new Blob([source])));
        if (kind === "leave-echo") {
          const { port1, port2 } = new MessageChannel();
          worker.postMessage(null, [port2]);
          relay().postMessage(null, [port1]);
          window.keep = worker;
          return null;
        }
        port = worker;
      } else if (kind === "echo-other-tab") {
        const r = relay();
        port = await new Promise((resolve) => {
          r.onmessage = (e) => resolve(e.ports[0]);
          r.postMessage("take");
        });
      }
      let call;
      if (port) {
        let answer = null;
        port.onmessage = () => answer();
        call = () =>
          new Promise((resolve) => {
            answer = resolve;
            port.postMessage({ id: 1, type: "exec", args: { sql: "SELECT 1" } });
          });
      } else {
        call = () => window.db.query("SELECT 1");
      }
      for (let i = 0; i < 200; i++) await call();
      // Pages without cross-origin isolation get a clock of 0.1 ms steps: each sample is the
      // mean of 10 awaited calls in a row.
      const times = [];
      for (let i = 0; i < trips / 10; i++) {
        const t = performance.now();
        for (let k = 0; k < 10; k++) await call();
        times.push((performance.now() - t) / 10);
      }
      times.sort((a, b) => a - b);
      const at = (q) => times[Math.floor(times.length * q)];
      return { p50: at(0.5), p95: at(0.95) };
    },
    { kind, trips },
  );
}

/** Milliseconds to read rows × 4 columns as objects, median of 3 after a warm-up. */
function readRows(page, rows) {
  return page.evaluate(async (rows) => {
    const sql = `SELECT id, name, score, note FROM big LIMIT ${rows}`;
    await window.db.query(sql);
    const times = [];
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      const result = await window.db.query(sql);
      times.push(performance.now() - t);
      if (result.length !== rows) throw new Error(`read ${result.length} rows`);
    }
    return times.sort((a, b) => a - b)[1];
  }, rows);
}

/** Point queries per second, n sent at once. */
function pipelined(page, n) {
  return page.evaluate(async (n) => {
    const run = () =>
      Promise.all(Array.from({ length: n }, (_, i) => window.db.query("SELECT ? AS v", [i])));
    await run();
    const t = performance.now();
    await run();
    return n / ((performance.now() - t) / 1000);
  }, n);
}

const section = { trips: TRIPS, rows: ROWS, pipelined: PIPELINED };
try {
  const [holder, other] = [await tab(), await tab()];
  await holder.evaluate(async (rows) => {
    await window.wsq.deleteDatabase("bench-tabs.db");
    window.db = await window.wsq.open("bench-tabs.db");
    await window.db.exec(
      "CREATE TABLE big(id INTEGER PRIMARY KEY, name TEXT, score REAL, note TEXT);" +
        `WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < ${rows}) ` +
        "INSERT INTO big SELECT x, 'name ' || x, x * 0.5, 'a note of some length' FROM n",
    );
  }, ROWS);
  await other.evaluate(async () => (window.db = await window.wsq.open("bench-tabs.db")));

  const echo = await roundTrips(holder, "echo", TRIPS);
  await roundTrips(holder, "leave-echo", 0);
  const crossEcho = await roundTrips(other, "echo-other-tab", TRIPS);
  const here = await roundTrips(holder, "db", TRIPS);
  const there = await roundTrips(other, "db", TRIPS);
  section.roundTrip = { echo, crossEcho, holder: here, other: there };
  console.log(
    `## Round trips, SELECT 1 (${TRIPS} awaited calls, after 200 untimed; percentiles of means of 10)\n`,
  );
  console.log("| from | p50 | p95 | p50 vs echo | p95 vs echo |");
  console.log("|---|---|---|---|---|");
  for (const [label, r] of [
    ["bare postMessage echo to a worker of the page", echo],
    ["bare echo to another tab's worker (MessagePort)", crossEcho],
    ["the holding tab", here],
    ["a tab that does not hold it", there],
  ]) {
    const ratio = (a, b) => `${(a / b).toFixed(2)}x`;
    console.log(
      `| ${label} | ${fmt(r.p50)} ms | ${fmt(r.p95)} ms | ${ratio(r.p50, echo.p50)} | ${ratio(r.p95, echo.p95)} |`,
    );
  }

  const rowsHere = await readRows(holder, ROWS);
  const rowsThere = await readRows(other, ROWS);
  const qpsHere = await pipelined(holder, PIPELINED);
  const qpsThere = await pipelined(other, PIPELINED);
  section.rows = { holder: rowsHere, other: rowsThere };
  section.pipelinedPerSecond = { holder: qpsHere, other: qpsThere };
  console.log(
    `\n## Rows and pipelined queries (${ROWS.toLocaleString("en")} rows x 4 columns to objects, median of 3; ${PIPELINED.toLocaleString("en")} point queries sent at once)\n`,
  );
  console.log("| | holding tab | other tab | other / holding |");
  console.log("|---|---|---|---|");
  console.log(
    `| rows to objects | ${fmt(rowsHere)} ms | ${fmt(rowsThere)} ms | ${(rowsThere / rowsHere).toFixed(2)}x |`,
  );
  console.log(
    `| point queries/s | ${Math.round(qpsHere).toLocaleString("en")} | ${Math.round(qpsThere).toLocaleString("en")} | ${(qpsThere / qpsHere).toFixed(2)}x |`,
  );
  await holder.close();
  await other.close();

  // Hand-over: a tab queries in a loop; the holding tab closes; the longest wait for an answer
  // from the close on is how long the database was unreachable.
  const gaps = [];
  for (let round = 0; round < HANDOVERS; round++) {
    const [h, watcher] = [await tab(), await tab()];
    const name = `bench-handover-${round}.db`;
    await h.evaluate(async (name) => {
      window.db = await window.wsq.open(name);
      await window.db.exec("CREATE TABLE IF NOT EXISTS t(v)");
    }, name);
    await watcher.evaluate(async (name) => {
      window.db = await window.wsq.open(name);
      window.times = [];
      window.errors = [];
      window.stop = false;
      window.loop = (async () => {
        while (!window.stop) {
          await window.db.query("SELECT count(*) FROM t").catch((e) => window.errors.push(e.code));
          window.times.push(Date.now());
        }
      })();
    }, name);
    await watcher.waitForFunction(() => window.times.length > 100);
    const closed = Date.now();
    await h.close();
    await watcher.waitForFunction((closed) => window.times.some((t) => t > closed + 200), closed);
    const r = await watcher.evaluate(async (closed) => {
      window.stop = true;
      await window.loop;
      const after = window.times.filter((t) => t >= closed);
      let gap = after[0] - closed;
      for (let i = 1; i < after.length; i++) gap = Math.max(gap, after[i] - after[i - 1]);
      return { gap, errors: window.errors };
    }, closed);
    gaps.push(r.gap);
    await watcher.close();
  }
  section.handoverMs = gaps;
  console.log(`\n## Hand-over when the holding tab closes (${HANDOVERS} rounds)\n`);
  console.log(
    `Longest wait for an answer in another tab, from the close: median ${median(gaps)} ms (all: ${gaps.join(", ")} ms).`,
  );

  // Writes: 1 tab making WRITES durable autocommit inserts, then 4 tabs making WRITES / 4 each.
  const writers = [await tab(), await tab(), await tab(), await tab()];
  for (const page of writers) {
    await page.evaluate(async () => {
      window.db = await window.wsq.open("bench-writes.db");
      await window.db.exec("CREATE TABLE IF NOT EXISTS w(tab, i)");
    });
  }
  const write = (page, label, n) =>
    page.evaluate(
      async ({ label, n }) => {
        for (let i = 0; i < n; i++) await window.db.exec("INSERT INTO w VALUES (?, ?)", [label, i]);
      },
      { label, n },
    );
  let t = Date.now();
  await write(writers[1], "alone", WRITES);
  const alone = Date.now() - t;
  t = Date.now();
  await Promise.all(writers.map((page, k) => write(page, `tab${k}`, WRITES / 4)));
  const four = Date.now() - t;
  section.writes = { commits: WRITES, oneTabMs: alone, fourTabsMs: four };
  console.log(
    `\n## ${WRITES} durable autocommit INSERTs: one tab, then four tabs at once (${WRITES / 4} each)\n`,
  );
  console.log("| | time | commits/s |");
  console.log("|---|---|---|");
  console.log(`| 1 tab | ${alone} ms | ${Math.round((WRITES * 1000) / alone)} |`);
  console.log(`| 4 tabs | ${four} ms | ${Math.round((WRITES * 1000) / four)} |`);
  for (const page of writers) await page.close();
  if (!quick) console.log(`\n(recorded in ${record("manyTabs", section)})`);
} finally {
  await context.close();
  await server.close();
  removeProfile(profile);
}
