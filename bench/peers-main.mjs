// Workloads 2, 3 and 4 against the peers, in one Chromium run: round trips and pipelined point
// queries from the main thread; results to main-thread objects
// (100,000 and 1,000,000 rows x 4 columns: integer, real, 20-char text, 16-byte blob) with the
// page's JS heap after the rows arrived, through each library's own main-thread API; and cold
// start (fresh page, warm HTTP cache, import to the first query result). Prints markdown.
//
//   node bench/peers-main.mjs            (make bench runs it)
//   node bench/peers-main.mjs --quick    (small sizes, one run)
import { copyFileSync, mkdirSync } from "node:fs";
import * as path from "node:path";

import { freshProfile, removeProfile } from "../e2e/harness.mjs";
import { ROOT, serve } from "../e2e/server.mjs";
import { record } from "./results.mjs";
import { chromium } from "playwright-core";

const quick = process.argv.includes("--quick");
const RUNS = quick ? 1 : 3;
const COLD_RUNS = quick ? 1 : 7;
const SIZES = quick ? [1000] : [100_000, 1_000_000];
const TRIPS = quick ? 40 : 2000;
const POINTS = quick ? 200 : 10_000;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const FILL = (rows) =>
  "CREATE TABLE r(i INTEGER, f REAL, t TEXT, b BLOB);" +
  `WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < ${rows}) ` +
  "INSERT INTO r SELECT x, x * 0.5, printf('%020d', x), randomblob(16) FROM n";

// The libraries' code runs in bench/pages/peers.js; this file only drives it.
const READERS = [
  "web-sqlite (Promise API, worker)",
  "official promiser (sqlite3Worker1Promiser, worker)",
];
// Round trips: web-sqlite on OPFS too (durability full).
const TRIPPERS = [
  "web-sqlite (Promise API, worker)",
  "web-sqlite (Promise API, worker, OPFS)",
  "official promiser (sqlite3Worker1Promiser, worker)",
];
const COLD = [
  "web-sqlite (worker, OPFS)",
  "web-sqlite (worker, memory)",
  "web-sqlite (worker, memory; the worker compiles the wasm)",
  "official (main thread, :memory:)",
  "official promiser (worker, :memory:)",
  "wa-sqlite (main thread, :memory:)",
  "sql.js (main thread)",
  "part: import index.js",
  "part: a module worker's first message",
  "part: compileStreaming of the wasm",
  "parts: the sync API in a module worker",
];

// The same wasm under a name the server types application/octet-stream, which the page cannot
// compile while it streams in: the worker then compiles it, as before the page did (peers.js).
mkdirSync(path.join(ROOT, "build/bench"), { recursive: true });
copyFileSync(
  path.join(ROOT, "js/dist/web/web-sqlite.wasm"),
  path.join(ROOT, "build/bench/web-sqlite.wasm.bin"),
);

const server = await serve({ port: 8799 });
const profile = freshProfile();
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--enable-precise-memory-info",
    "--js-flags=--expose-gc",
  ],
});
try {
  console.log(
    "## Results to main-thread objects (memory databases; largest JS heap growth of the runs)\n",
  );
  console.log(
    "| library | rows | time (median) | spread | time / web-sqlite | JS heap right after | retained after GC |",
  );
  console.log("|---|---:|---:|---:|---:|---:|---:|");
  const section = { runs: RUNS, rowsToObjects: [], roundTrips: [], coldStart: [] };
  const oursAt = {};
  for (const name of READERS) {
    for (const rows of SIZES) {
      const times = [];
      let heap = 0;
      let retained = 0;
      for (let run = 0; run <= RUNS; run++) {
        const page = await context.newPage();
        await page.goto(`${server.url}/bench/pages/peers.html`);
        await page.waitForFunction(() => window.measureRead !== undefined);
        const r = await page.evaluate(
          ({ name, rows, fill }) => window.measureRead(name, rows, fill),
          { name, rows, fill: FILL(rows) },
        );
        await page.close();
        if (run > 0) {
          times.push(r.ms); // run 0 warms the HTTP cache and the JIT
          heap = Math.max(heap, r.heap);
          retained = Math.max(retained, r.retained);
        }
      }
      section.rowsToObjects.push({
        name,
        rows,
        ms: times,
        heapBytes: heap,
        retainedBytes: retained,
      });
      oursAt[rows] ??= median(times);
      console.log(
        `| ${name} | ${rows.toLocaleString("en")} | ${median(times).toFixed(0)} ms | ${Math.min(...times).toFixed(0)}–${Math.max(...times).toFixed(0)} ms | ${(median(times) / oursAt[rows]).toFixed(2)}x | ${(heap / 1e6).toFixed(0)} MB | ${(retained / 1e6).toFixed(0)} MB |`,
      );
    }
  }
  console.log(
    "\nwa-sqlite and sql.js have no main-thread API over a worker: not comparable here.\n",
  );

  console.log(
    "## Round trips from the main thread (memory databases, and web-sqlite on OPFS with durability full; SELECT 1 sequentially, then point queries by primary key sent at once)\n",
  );
  console.log(
    "| library | SELECT 1 median | p95 | point queries / s (median) | spread | median trip / web-sqlite |",
  );
  console.log("|---|---:|---:|---:|---:|---:|");
  let oursTrip = null;
  for (const name of TRIPPERS) {
    const page = await context.newPage();
    await page.goto(`${server.url}/bench/pages/peers.html`);
    await page.waitForFunction(() => window.measureTrips !== undefined);
    const r = await page.evaluate(({ name, trips, n }) => window.measureTrips(name, trips, n), {
      name,
      trips: TRIPS,
      n: POINTS,
    });
    await page.close();
    const times = [...r.times].sort((a, b) => a - b);
    const trip = median(times);
    oursTrip ??= trip;
    section.roundTrips.push({ name, tripMs: r.times, pointQueriesPerSecond: r.rates });
    console.log(
      `| ${name} | ${trip.toFixed(3)} ms | ${times[Math.floor(times.length * 0.95)].toFixed(3)} ms | ${median(r.rates).toFixed(0)} | ${Math.min(...r.rates).toFixed(0)}–${Math.max(...r.rates).toFixed(0)} | ${(trip / oursTrip).toFixed(2)}x |`,
    );
  }
  console.log(
    `\n${TRIPS} sequential trips after 200 untimed; ${POINTS.toLocaleString("en")} point queries, median of 3 after a warm-up.\n`,
  );

  console.log("## Cold start: fresh page, warm HTTP cache, import to first result\n");
  console.log("| library | median | spread | time / web-sqlite (OPFS) |");
  console.log("|---|---:|---:|---:|");
  // In rounds (each round loads every library once), so a drift of the machine spreads over all.
  const cold = new Map(COLD.map((name) => [name, { times: [], parts: [] }]));
  for (let run = 0; run <= COLD_RUNS; run++) {
    for (const name of COLD) {
      const page = await context.newPage();
      await page.goto(`${server.url}/bench/pages/peers.html`);
      await page.waitForFunction(() => window.measureCold !== undefined);
      const r = await page.evaluate((name) => window.measureCold(name), name);
      await page.close();
      if (run === 0) continue; // the untimed load that fills the HTTP cache
      cold.get(name).times.push(r.ms);
      if (r.parts) cold.get(name).parts.push(r.parts);
    }
  }
  const oursCold = median(cold.get(COLD[0]).times);
  const inParts = [];
  for (const [name, { times, parts }] of cold) {
    section.coldStart.push({ name, ms: times, ...(parts.length ? { parts } : {}) });
    if (parts.length) inParts.push([name, parts]);
    console.log(
      `| ${name} | ${median(times).toFixed(0)} ms | ${Math.min(...times).toFixed(0)}–${Math.max(...times).toFixed(0)} ms | ${(median(times) / oursCold).toFixed(2)}x |`,
    );
  }
  for (const [name, parts] of inParts) {
    console.log(`\n${name}, timed inside (median of ${parts.length}):\n`);
    console.log("| step | ms |\n|---|---:|");
    for (const step of Object.keys(parts[0])) {
      console.log(`| ${step} | ${median(parts.map((p) => p[step])).toFixed(1)} |`);
    }
  }
  if (!quick) console.log(`\nwrote ${record("peersMain", section)}`);
} finally {
  await context.close();
  await server.close();
  removeProfile(profile);
}
