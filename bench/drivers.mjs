// The query builders' drivers against the plain Promise API, in Chromium on OPFS: the same
// point query, 1,000-row select and 1,000-row insert in one transaction through db.query /
// db.transaction, Kysely (web-sqlite/kysely) and Drizzle (web-sqlite/drizzle); and live queries
// (db.watch): the time from a commit to the watch's call back, in the same tab and in another.
// Prints markdown tables; never fails on slow numbers.
//
//   node bench/drivers.mjs            (make bench runs it)
//   node bench/drivers.mjs --quick    (tiny sizes: checks the harness still runs)
import { record } from "./results.mjs";
import { freshProfile, launch, removeProfile } from "../e2e/harness.mjs";
import { serve } from "../e2e/server.mjs";

const quick = process.argv.includes("--quick");
const ROUNDS = quick ? 1 : 7;
const POINTS = quick ? 20 : 500;
const SELECTS = quick ? 2 : 20;
const ROWS = quick ? 50 : 1000;
const COMMITS = quick ? 3 : 100;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms) => (ms < 1 ? ms.toFixed(3) : ms.toFixed(2));

const server = await serve({ port: 8816 });
const profile = freshProfile();
const context = await launch(profile);

async function page() {
  const p = await context.newPage();
  // The drivers suite's page has the import map of Kysely and Drizzle; the benchmark joins it.
  await p.goto(`${server.url}/e2e/pages/drivers.html`);
  await p.evaluate(() => import("/bench/pages/drivers.js"));
  return p;
}

/** Commits in `committer`, heard by the watch in `watcher`: ms from each call to its call back. */
async function liveLatency(committer, watcher) {
  await watcher.evaluate(() => window.watchLive());
  const fromCall = [];
  const fromResolve = [];
  const commit = [];
  for (let i = 1; i <= COMMITS; i++) {
    const { called, resolved } = await committer.evaluate(() => window.commitLive());
    await watcher.waitForFunction((n) => window.heard.length > n, i, { polling: "raf" });
    const heard = await watcher.evaluate((n) => window.heard[n], i);
    fromCall.push(heard - called);
    fromResolve.push(heard - resolved);
    commit.push(resolved - called);
  }
  await watcher.evaluate(() => window.stopLive());
  return { fromCall: median(fromCall), fromResolve: median(fromResolve), commit: median(commit) };
}

try {
  const bench = await page();
  const drivers = await bench.evaluate((o) => window.benchDrivers(o), {
    rounds: ROUNDS,
    points: POINTS,
    selects: SELECTS,
    rows: ROWS,
  });
  await bench.close();

  const [holder, other] = [await page(), await page()];
  await holder.evaluate(() => window.openLive());
  await other.evaluate(() => window.openLive());
  const sameTab = await liveLatency(holder, holder);
  const otherTab = await liveLatency(holder, other);

  console.log(`## Drivers against the plain API (Chromium, OPFS; medians of ${ROUNDS} rounds)\n`);
  console.log("| workload | plain API | Kysely | Drizzle | Kysely / plain | Drizzle / plain |");
  console.log("|---|---:|---:|---:|---:|---:|");
  const rowsOf = [
    ["point query (ms)", "point"],
    ["1,000-row select (ms)", "select"],
    [`${ROWS.toLocaleString("en")}-row insert, one transaction (ms)`, "insert"],
  ];
  for (const [label, key] of rowsOf) {
    const [p, k, d] = ["plain", "kysely", "drizzle"].map((c) => drivers[c][key]);
    console.log(
      `| ${label} | ${fmt(p)} | ${fmt(k)} | ${fmt(d)} | ${(k / p).toFixed(2)}x | ${(d / p).toFixed(2)}x |`,
    );
  }
  console.log(`\n## Live queries: a commit to the watch's call back (medians of ${COMMITS})\n`);
  console.log(
    "| where the watch is | commit called → call back | commit resolved → call back | the commit alone |",
  );
  console.log("|---|---:|---:|---:|");
  for (const [label, r] of [
    ["the committing tab (holding the database)", sameTab],
    ["another tab", otherTab],
  ]) {
    console.log(
      `| ${label} | ${fmt(r.fromCall)} ms | ${fmt(r.fromResolve)} ms | ${fmt(r.commit)} ms |`,
    );
  }
  if (!quick) {
    const file = record("drivers", {
      rounds: ROUNDS,
      points: POINTS,
      selects: SELECTS,
      rows: ROWS,
      drivers,
      live: { sameTab, otherTab, commits: COMMITS },
    });
    console.log(`\n(recorded in ${file})`);
  }
} finally {
  await context.close();
  await server.close();
  removeProfile(profile);
}
