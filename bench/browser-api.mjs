// Main-thread costs of the Promise API in Chromium on OPFS, and the journal mode / page size
// measurements behind the defaults. Prints markdown tables; never fails on slow numbers.
//
//   node bench/browser-api.mjs            (make bench runs it)
//   node bench/browser-api.mjs --quick    (tiny sizes: checks the harness still runs)
import { record } from "./results.mjs";
import { freshProfile, launch, removeProfile, testPage } from "../e2e/harness.mjs";
import { serve } from "../e2e/server.mjs";

const quick = process.argv.includes("--quick");
const RUNS = quick ? 1 : 5;
const ROUND_TRIPS = quick ? 50 : 2000;
const ROWS = quick ? 1000 : 100_000;
const COMMITS = quick ? 20 : 500;
const BULK = quick ? 1000 : 200_000;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms) => (ms < 1 ? ms.toFixed(3) : ms.toFixed(1));

const server = await serve({ port: 8790 });
const profile = freshProfile();
const context = await launch(profile);

try {
  const page = await testPage(context, server.url);

  // 1. Round trip of SELECT 1 from the main thread, after a warm-up. A page without cross-origin
  // isolation reads the clock to 0.1 ms only, so trips are timed in groups of 20: the figures
  // are the median and p95 of the groups' mean trip.
  const trips = await page.evaluate(async (n) => {
    const db = await window.wsq.open("bench-rt.db");
    for (let i = 0; i < 200; i++) await db.query("SELECT 1");
    const group = 20;
    const times = [];
    for (let i = 0; i < n; i += group) {
      const t = performance.now();
      for (let j = 0; j < group; j++) await db.query("SELECT 1");
      times.push((performance.now() - t) / group);
    }
    await db.close();
    return times;
  }, ROUND_TRIPS);
  trips.sort((a, b) => a - b);

  // 1b. Point queries by primary key, all sent at once (pipelined): queries per second.
  const pipelined = await page.evaluate(
    async ({ n, runs }) => {
      const db = await window.wsq.open("bench-points.db");
      await db.exec(
        "DROP TABLE IF EXISTS p; CREATE TABLE p(id INTEGER PRIMARY KEY, v TEXT);" +
          `WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ${n}) ` +
          "INSERT INTO p SELECT i, 'value ' || i FROM c",
      );
      const stmt = await db.prepare("SELECT v FROM p WHERE id = ?");
      const rates = [];
      for (let r = 0; r <= runs; r++) {
        const t = performance.now();
        const rows = await Promise.all(
          Array.from({ length: n }, (_, i) => stmt.get([1 + ((i * 7919) % n)])),
        );
        const ms = performance.now() - t;
        if (rows.length !== n || !rows.every(Boolean)) throw new Error("a point query missed");
        if (r > 0) rates.push((n / ms) * 1000); // run 0 is the warm-up
      }
      await stmt.finalize();
      await db.close();
      return rates;
    },
    { n: quick ? 200 : 10_000, runs: RUNS },
  );

  // 2. ROWS x 4 columns (integer, real, 20-char text, 16-byte blob) into main-thread objects.
  const rows = await page.evaluate(
    async ({ rows, runs }) => {
      const db = await window.wsq.open("bench-rows.db");
      await db.exec(
        "DROP TABLE IF EXISTS r; CREATE TABLE r(i INTEGER, f REAL, t TEXT, b BLOB);" +
          `WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < ${rows}) ` +
          "INSERT INTO r SELECT x, x * 0.5, printf('%020d', x), randomblob(16) FROM n",
      );
      await db.query("SELECT * FROM r"); // warm-up
      const times = [];
      for (let i = 0; i < runs; i++) {
        const t = performance.now();
        const result = await db.query("SELECT i, f, t, b FROM r");
        times.push(performance.now() - t);
        if (result.length !== rows) throw new Error("wrong row count");
      }
      await db.close();
      return times;
    },
    { rows: ROWS, runs: RUNS },
  );
  await page.close();

  // 3. open() to the first result, in a fresh page on a warm HTTP cache.
  const cold = [];
  for (let i = 0; i < RUNS + 1; i++) {
    const p = await context.newPage();
    await p.goto(`${server.url}/e2e/pages/blank.html`);
    const t = await p.evaluate(async () => {
      const start = performance.now();
      const wsq = await import("/js/dist/web/index.js");
      const imported = performance.now();
      const db = await wsq.open("bench-cold.db");
      await db.query("SELECT 1");
      const done = performance.now();
      await db.close();
      return { fromImport: done - start, fromOpen: done - imported };
    });
    await p.close();
    if (i > 0) cold.push(t); // the first load fills the HTTP cache
  }

  console.log(`## Promise API on the main thread (Chromium, OPFS, durability full)\n`);
  console.log("| measure | median | spread |");
  console.log("|---|---|---|");
  console.log(
    `| SELECT 1 round trip (${ROUND_TRIPS} sequential, groups of 20) | ${fmt(median(trips))} ms | p95 ${fmt(trips[Math.floor(trips.length * 0.95)])} ms |`,
  );
  console.log(
    `| ${quick ? 200 : "10,000"} pipelined point queries by primary key | ${median(pipelined).toFixed(0)} queries/s | ${Math.min(...pipelined).toFixed(0)}–${Math.max(...pipelined).toFixed(0)} |`,
  );
  console.log(
    `| ${ROWS.toLocaleString("en")} rows x 4 columns to objects | ${fmt(median(rows))} ms | ${fmt(Math.min(...rows))}–${fmt(Math.max(...rows))} ms |`,
  );
  const fromOpen = cold.map((c) => c.fromOpen);
  const fromImport = cold.map((c) => c.fromImport);
  const section = {
    runs: RUNS,
    roundTripMs: trips,
    pipelinedQueriesPerSecond: pipelined,
    rowsToObjectsMs: { rows: ROWS, runs: rows },
    coldStartMs: { fromOpen, fromImport },
    journalAndPageSize: [],
  };
  console.log(
    `| open() to first result, warm HTTP cache | ${fmt(median(fromOpen))} ms | ${fmt(Math.min(...fromOpen))}–${fmt(Math.max(...fromOpen))} ms |`,
  );
  console.log(
    `| import to first result, warm HTTP cache | ${fmt(median(fromImport))} ms | ${fmt(Math.min(...fromImport))}–${fmt(Math.max(...fromImport))} ms |`,
  );

  // 4. Journal mode and page size on OPFS: durable single-row commits and one bulk transaction.
  const configs = [
    ["delete", 4096],
    ["truncate", 4096],
    ["persist", 4096],
    ["truncate", 8192],
    ["truncate", 16384],
  ];
  console.log(
    `\n## Journal mode and page size on OPFS (${COMMITS} autocommit INSERTs; ${BULK.toLocaleString("en")} rows INSERTed by one statement; then a full scan)\n`,
  );
  console.log("| journal_mode | page_size | per commit | bulk | scan |");
  console.log("|---|---|---|---|---|");
  const jp = await testPage(context, server.url);
  for (const [mode, pageSize] of configs) {
    const results = [];
    for (let run = 0; run < Math.max(1, RUNS - 2); run++) {
      results.push(
        await jp.evaluate(
          async ({ mode, pageSize, commits, bulk, run }) => {
            const name = `bench-journal-${mode}-${pageSize}-${run}.db`;
            await window.wsq.deleteDatabase(name);
            const db = await window.wsq.open(name);
            await db.exec(`PRAGMA page_size = ${pageSize}; PRAGMA journal_mode = ${mode}`);
            await db.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)");
            let t = performance.now();
            for (let i = 0; i < commits; i++) {
              await db.exec("INSERT INTO t(v) VALUES (?)", [`row ${i} of the commit test`]);
            }
            const perCommit = (performance.now() - t) / commits;
            t = performance.now();
            await db.exec(
              `WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < ${bulk}) ` +
                "INSERT INTO t(v) SELECT printf('bulk row %d with some text', x) FROM n",
            );
            const bulkMs = performance.now() - t;
            t = performance.now();
            await db.query("SELECT count(*), sum(length(v)) FROM t");
            const scan = performance.now() - t;
            await db.close();
            await window.wsq.deleteDatabase(name);
            return { perCommit, bulkMs, scan };
          },
          { mode, pageSize, commits: COMMITS, bulk: BULK, run },
        ),
      );
    }
    section.journalAndPageSize.push({ mode, pageSize, runs: results });
    console.log(
      `| ${mode} | ${pageSize} | ${fmt(median(results.map((r) => r.perCommit)))} ms | ${fmt(median(results.map((r) => r.bulkMs)))} ms | ${fmt(median(results.map((r) => r.scan)))} ms |`,
    );
  }
  await jp.close();
  if (!quick) {
    console.log(`\nwrote ${record("browserApi", section)}`);
  }
  console.log(
    `\nChromium ${context.browser()?.version() ?? "(persistent context)"}; medians of ${RUNS} runs after an untimed warm-up.`,
  );
} finally {
  await context.close();
  await server.close();
  removeProfile(profile);
}
