// The targets of docs/PERFORMANCE.md that a ratio measures, from one results file: what `make
// bench` wrote today (bench/results/<date>.json), each benchmark's own section. Prints a markdown
// table, target by target, with the ratio and whether it is met; a target whose benchmark did not
// run is said to be unmeasured. Never fails on a number.
//
//   node bench/targets.mjs                    (make bench runs it last)
//   node bench/targets.mjs bench/results/2026-12-06.json
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";

import { RESULTS_DIR } from "./results.mjs";

const file =
  process.argv.slice(2).find((a) => !a.startsWith("--")) ??
  path.join(RESULTS_DIR, `${new Date().toISOString().slice(0, 10)}.json`);
const sections = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")).sections ?? {}) : {};

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const speed = (name) => sections.speed?.totals?.find((t) => t.name === name)?.ms;
const coldStart = (name) => {
  const ms = sections.peersMain?.coldStart?.find((t) => t.name === name)?.ms;
  return ms?.length ? median(ms) : undefined;
};
const bestOf = (...values) => {
  const known = values.filter((v) => v !== undefined);
  return known.length ? Math.min(...known) : undefined;
};
const bytes = sections.bytes?.rows?.find((r) => r.name.startsWith("web-sqlite (Promise API:"));
const tabs = sections.manyTabs;

/** [target, ours, theirs, limit, what the two numbers are]: met when ours / theirs ≤ limit. */
const RATIOS = [
  [
    "speed suite in memory ≤ 1.5x native memory",
    speed("web-sqlite memory"),
    speed("native memory"),
    1.5,
    "ms, `bench/speed.mjs`",
  ],
  [
    "speed suite in memory ≤ 0.85x the official build (`sqlite3_exec`)",
    speed("web-sqlite memory"),
    speed("official memory sqlite3_exec"),
    0.85,
    "ms, `bench/speed.mjs`",
  ],
  [
    "speed suite on OPFS ≤ 1.3x native on a file (both WAL, synchronous FULL)",
    speed("web-sqlite opfs"),
    speed("native file"),
    1.3,
    "ms, `bench/speed.mjs`",
  ],
  [
    "speed suite on OPFS ≤ 0.5x the best OPFS peer",
    speed("web-sqlite opfs"),
    bestOf(
      speed("official opfs-sahpool sqlite3_exec"),
      speed("official opfs-sahpool exec()"),
      speed("official opfs sqlite3_exec"),
      speed("wa-sqlite AccessHandlePool"),
    ),
    0.5,
    "ms, `bench/speed.mjs`",
  ],
  [
    "speed suite on OPFS with a key ≤ 1.2x without",
    speed("web-sqlite opfs key"),
    speed("web-sqlite opfs"),
    1.2,
    "ms, `bench/speed.mjs`",
  ],
  [
    "cold start (memory, worker included) ≤ 0.8x the official build",
    coldStart("web-sqlite (worker, memory)"),
    coldStart("official (main thread, :memory:)"),
    0.8,
    "ms, `bench/peers-main.mjs`",
  ],
  [
    "cold start (memory, worker included) ≤ 1.2x sql.js",
    coldStart("web-sqlite (worker, memory)"),
    coldStart("sql.js (main thread)"),
    1.2,
    "ms, `bench/peers-main.mjs`",
  ],
  [
    "`SELECT 1` from a tab that does not hold the database ≤ 1.3x the cross-tab echo",
    tabs?.roundTrip?.other?.p50,
    tabs?.roundTrip?.crossEcho?.p50,
    1.3,
    "ms p50, `bench/many-tabs.mjs`",
  ],
  [
    "100,000 rows from a tab that does not hold the database ≤ 1.3x the holding tab",
    tabs?.rows?.other,
    tabs?.rows?.holder,
    1.3,
    "ms, `bench/many-tabs.mjs`",
  ],
  [
    "bytes of the Promise API ≤ 430 KB gzip",
    bytes && bytes.gzip / 1000,
    430,
    1,
    "KB, `bench/bytes.mjs`",
  ],
];

const fmt = (n) => (n < 1 ? n.toFixed(3) : n < 100 ? n.toFixed(1) : n.toFixed(0));
console.log(`## Targets, from ${path.relative(process.cwd(), file)}\n`);
console.log("| target | measured | ratio | |");
console.log("| --- | --- | ---: | --- |");
for (const [target, ours, theirs, limit, unit] of RATIOS) {
  if (ours === undefined || theirs === undefined) {
    console.log(`| ${target} | not measured in this file | | |`);
    continue;
  }
  const ratio = ours / theirs;
  const met = ratio <= limit ? "met" : "not met";
  console.log(
    `| ${target} | ${fmt(ours)} vs ${fmt(theirs)} ${unit} | ${ratio.toFixed(2)}x | ${met} |`,
  );
}
