// The classic 16-test speed suite (bench/speed/suite.mjs) for every contestant in one Chromium
// run, plus the same amalgamation natively: medians of RUNS timed passes, each in a fresh browser
// profile on a fresh database after an untimed warm-up pass in that browser. Prints markdown,
// writes bench/results/<date>.json and the chart bench/results/speed-suite.svg.
//
//   node bench/speed.mjs            (make bench; RUNS=3 by default)
//   node bench/speed.mjs --quick    (a hundredth of the sizes, one run, no files written)
//   ONLY=web-sqlite node bench/speed.mjs   (the contestants whose name starts so; no files)
//   ONLY="web-sqlite opfs,official opfs-sahpool" node bench/speed.mjs   (several prefixes)
//   WSQ_ENGINE=firefox ONLY=… node bench/speed.mjs   (another engine, e2e/harness.mjs)
//   COMMITS=200 ONLY=… node bench/speed.mjs   (instead of the suite: the time of one durable
//     commit, an autocommit INSERT per call, median of RUNS; no files written)
//   WASMS="O2=/build/exp-o2/web-sqlite.wasm" node bench/speed.mjs   (adds "web-sqlite memory O2" and
//     "web-sqlite opfs O2": the same JS with that wasm, a path under the repository; for builds
//     compared in one run, as docs/PERFORMANCE.md's "Size" does)
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

import { freshProfile, launch, removeProfile } from "../e2e/harness.mjs";
import { ROOT, serve } from "../e2e/server.mjs";
import { RESULTS_DIR, record } from "./results.mjs";
import { speedSuite } from "./speed/suite.mjs";

const quick = process.argv.includes("--quick");
const RUNS = quick ? 1 : Number(process.env.RUNS ?? 3);
const SCALE = quick ? 0.01 : 1;
const ONLY = (process.env.ONLY ?? "").split(",");
const COMMITS = Number(process.env.COMMITS ?? 0);

/** [name, needs cross-origin isolation, classic worker]. */
const CONTESTANTS = [
  ["web-sqlite opfs", false, false],
  ["web-sqlite opfs relaxed", false, false],
  ["web-sqlite opfs truncate", false, false],
  ["web-sqlite opfs key", false, false],
  ["web-sqlite memory", false, false],
  ["web-sqlite idb", false, false],
  ["official opfs-sahpool sqlite3_exec", false, false],
  ["official opfs-sahpool exec()", false, false],
  ["official opfs sqlite3_exec", true, false],
  ["official memory sqlite3_exec", false, false],
  ["official memory exec()", false, false],
  ["wa-sqlite AccessHandlePool", false, false],
  ["wa-sqlite memory", false, false],
  ["wa-sqlite IDBBatchAtomic", false, false],
  ["sql.js memory", false, true],
];
const WASMS = (process.env.WASMS ?? "")
  .split(",")
  .filter(Boolean)
  .map((v) => v.split("="));
for (const [variant] of WASMS) {
  CONTESTANTS.push([`web-sqlite memory ${variant}`, false, false]);
  CONTESTANTS.push([`web-sqlite opfs ${variant}`, false, false]);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sum = (xs) => xs.reduce((a, b) => a + b, 0);

async function runInBrowser(base, [name, , classic]) {
  const profile = freshProfile();
  const context = await launch(profile);
  try {
    const page = await context.newPage();
    await page.goto(`${base}/e2e/pages/blank.html`);
    const script = classic ? "speed-worker-classic.js" : "speed-worker.js";
    const wasm = WASMS.find(([variant]) => name.endsWith(` ${variant}`))?.[1];
    const url =
      `/bench/pages/${script}?contestant=${encodeURIComponent(name)}&scale=${SCALE}` +
      (COMMITS > 0 ? `&commits=${COMMITS}` : "") +
      (wasm ? `&wasm=${encodeURIComponent(wasm)}` : "");
    const out = await page.evaluate(
      ({ url, classic }) =>
        new Promise((resolve) => {
          const worker = new Worker(url, classic ? {} : { type: "module" });
          worker.onmessage = (e) => resolve(e.data);
          worker.onerror = (e) => resolve({ error: e.message || "the worker failed to load" });
        }),
      { url, classic },
    );
    if (out.error) throw new Error(`${name}: ${out.error}`);
    return out.times;
  } finally {
    await context.close();
    removeProfile(profile);
  }
}

function runNative(tests) {
  const dir = mkdtempSync(path.join(tmpdir(), "wsq-speed-"));
  try {
    mkdirSync(path.join(dir, "tests"));
    tests.forEach((t, i) =>
      writeFileSync(path.join(dir, "tests", `${String(i + 1).padStart(2, "0")}.sql`), t.sql),
    );
    const out = execFileSync(
      path.join(ROOT, "build/native/wsq_speed_native"),
      [path.join(dir, "tests"), dir, String(RUNS)],
      { maxBuffer: 64 << 20 },
    );
    return JSON.parse(out.toString());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function svgChart(totals) {
  const width = 760;
  const bar = 22;
  const left = 250;
  // A logarithmic scale from 100 ms: the slowest contestant is 40 times the fastest.
  const max = Math.log10(Math.max(...totals.map((t) => t.ms)) / 100);
  const rows = totals.map((t, i) => {
    const w = Math.max(1, ((width - left - 90) * Math.log10(Math.max(t.ms, 100) / 100)) / max);
    const y = 30 + i * (bar + 6);
    const color = t.name.startsWith("web-sqlite")
      ? "#1f6feb"
      : t.name.startsWith("native")
        ? "#6e7781"
        : "#d29922";
    return (
      `<text x="${left - 8}" y="${y + 15}" text-anchor="end">${t.name}</text>` +
      `<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${bar}" fill="${color}"/>` +
      `<text x="${left + w + 6}" y="${y + 15}">${(t.ms / 1000).toFixed(2)} s</text>`
    );
  });
  const height = 40 + totals.length * (bar + 6);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `font-family="sans-serif" font-size="12">` +
    `<text x="10" y="18" font-weight="bold">Speed suite total (16 tests), median; shorter is faster (log scale)</text>` +
    `${rows.join("")}</svg>\n`
  );
}

const tests = speedSuite(SCALE);
const plain = await serve({ port: 8796 });
const isolated = await serve({
  port: 8797,
  headers: {
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
  },
});
const results = {};
try {
  // Rounds: each round runs every contestant once, so a drift of the machine (the disk's flush
  // latency varies over minutes) spreads over all of them instead of favouring one.
  const chosen = CONTESTANTS.filter(([name]) => ONLY.some((prefix) => name.startsWith(prefix)));
  for (let r = 0; r < RUNS; r++) {
    for (const contestant of chosen) {
      const times = await runInBrowser(contestant[1] ? isolated.url : plain.url, contestant);
      (results[contestant[0]] ??= []).push(times);
    }
    process.stderr.write(`speed: round ${r + 1} of ${RUNS} done\n`);
  }
} finally {
  await plain.close();
  await isolated.close();
}
if (COMMITS > 0) {
  const perCommit = Object.entries(results).map(([name, runs]) => [
    name,
    median(runs.map((r) => r[0])),
  ]);
  console.log(`## One durable commit (an autocommit INSERT per call, ${COMMITS} calls), ms\n`);
  console.log("| contestant | ms per commit | / first |\n| --- | ---: | ---: |");
  for (const [name, ms] of perCommit) {
    console.log(`| ${name} | ${ms.toFixed(3)} | ${(ms / perCommit[0][1]).toFixed(2)}x |`);
  }
  process.exit(0);
}
const native = runNative(tests);
results["native file"] = native.file;
results["native memory"] = native.memory;

const names = Object.keys(results);
const perTest = Object.fromEntries(
  names.map((n) => [n, tests.map((_, i) => median(results[n].map((run) => run[i])))]),
);
const totals = names.map((n) => {
  const runTotals = results[n].map(sum);
  return {
    name: n,
    ms: median(runTotals),
    min: Math.min(...runTotals),
    max: Math.max(...runTotals),
  };
});
// With ONLY, a contestant may be missing: ratios then use the first one measured.
const total = (name) => (totals.find((t) => t.name === name) ?? totals[0]).ms;
const ours = total("web-sqlite opfs");
const oursMemory = total("web-sqlite memory");

const fmt = (ms) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));
console.log(`## Speed suite, ms (median of ${RUNS}; scale ${SCALE})\n`);
console.log(`| test | ${names.join(" | ")} |`);
console.log(`|---|${names.map(() => "---:").join("|")}|`);
tests.forEach((t, i) => {
  console.log(`| ${i + 1}. ${t.name} | ${names.map((n) => fmt(perTest[n][i])).join(" | ")} |`);
});
console.log(
  `| **total** | ${totals.map((t) => `**${fmt(t.ms)}** (${fmt(t.min)}–${fmt(t.max)})`).join(" | ")} |`,
);
console.log(
  `| total / ${totals.some((t) => t.name === "web-sqlite opfs") ? "web-sqlite opfs" : totals[0].name} | ${totals.map((t) => `${(t.ms / ours).toFixed(2)}x`).join(" | ")} |`,
);
console.log(
  `\nweb-sqlite opfs / native file: ${(ours / total("native file")).toFixed(2)}x; ` +
    `web-sqlite memory / native memory: ${(oursMemory / total("native memory")).toFixed(2)}x`,
);

if (!quick && !process.env.ONLY) {
  const file = record("speed", { runs: RUNS, tests: tests.map((t) => t.name), results, totals });
  writeFileSync(path.join(RESULTS_DIR, "speed-suite.svg"), svgChart(totals));
  console.log(`\nwrote ${file} and bench/results/speed-suite.svg`);
}
