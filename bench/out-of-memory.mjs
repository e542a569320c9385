// How long a query that runs out of memory takes to fail, through the Promise API in Node (the
// same worker and wasm as in browsers): SQLite's length limit (128 MiB) and heap limit (1 GiB)
// end it with a typed error instead of growing the worker to the wasm's 2 GiB first. Prints a
// markdown table with the first run of each (in a fresh worker, whose memory grows as it runs)
// and the median of 3 more, and the error each ended with.
//   usage: node bench/out-of-memory.mjs [--quick]
import { open, shutdown } from "../js/dist/src/index.js";
import { record } from "./results.mjs";

const quick = process.argv.includes("--quick");
const runs = quick ? 1 : 3;
const time = async (sql) => {
  const started = performance.now();
  const code = await db.query(sql).then(
    () => "no error",
    (e) => e.code,
  );
  return { code, ms: performance.now() - started };
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const WORKLOADS = [
  [
    "a string doubled by a recursive query",
    "WITH RECURSIVE d(s) AS (SELECT 'x' UNION ALL SELECT s || s FROM d) SELECT length(s) FROM d",
  ],
  ["one 500 MB blob", "SELECT length(randomblob(500000000))"],
  [
    "ten 120 MB values at once (1.2 GB)",
    `SELECT ${Array.from({ length: 10 }, (_, i) => `length(zeroblob(120000000) || 'x') AS v${i}`)}`,
  ],
];

const db = await open("out-of-memory", { storage: "memory" });
const rows = [];
for (const [what, sql] of WORKLOADS) {
  const first = await time(sql);
  const later = [];
  for (let i = 0; i < runs; i++) later.push((await time(sql)).ms);
  rows.push({
    what,
    code: first.code,
    firstMs: Math.round(first.ms),
    laterMs: Math.round(median(later)),
  });
}
await db.close();
shutdown();

console.log(`| query | ends with | first run, ms | later runs, ms (median of ${runs}) |`);
console.log("| --- | --- | ---: | ---: |");
for (const r of rows) {
  console.log(`| ${r.what} | \`${r.code}\` | ${r.firstMs} | ${r.laterMs} |`);
}
if (!quick) console.log(`\nrecorded in ${record("outOfMemory", { runs, rows })}`);
