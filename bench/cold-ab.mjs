// Cold start of two builds of the browser bundles side by side, in Chromium: each build is a
// directory in the repository holding index.js, worker.js, broker.js and the wasm (js/dist/web as
// `make js` leaves it, or a copy of it made from another tree). Every round loads each build in a
// fresh page (warm HTTP cache) and times import() to the first result of `SELECT 1` by the path
// bench/peers-main.mjs times (bench/pages/peers.js); the rounds alternate the builds, so a drift
// of the machine spreads over both. For a change on the cold-start path smaller than the drift
// between two runs of peers-main. Prints the medians and every sample; never fails on a number
// (docs/PERFORMANCE.md, "Cold start").
//
//   node bench/cold-ab.mjs build/web-before js/dist/web   (ROUNDS=20; STORAGE=opfs for OPFS)
//   node bench/cold-ab.mjs --quick                        (js/dist/web against itself, 2 rounds)
import { existsSync } from "node:fs";
import * as path from "node:path";

import { freshProfile, removeProfile } from "../e2e/harness.mjs";
import { ROOT, serve } from "../e2e/server.mjs";
import { chromium } from "playwright-core";

const quick = process.argv.includes("--quick");
const builds = quick ? ["js/dist/web", "js/dist/web"] : process.argv.slice(2);
const rounds = quick ? 2 : Number(process.env.ROUNDS ?? 20);
const storage = process.env.STORAGE === "opfs" ? "opfs" : "memory";
if (builds.length !== 2) {
  console.error("usage: node bench/cold-ab.mjs <build dir> <build dir>  (or --quick)");
  process.exit(2);
}
const urls = builds.map((dir) => {
  const relative = path.relative(ROOT, path.resolve(dir));
  if (relative.startsWith("..") || !existsSync(path.join(ROOT, relative, "index.js"))) {
    console.error(`${dir}: not a directory of the repository holding index.js`);
    process.exit(2);
  }
  return `/${relative.split(path.sep).join("/")}/index.js`;
});

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const server = await serve({ port: 8798 });
const profile = freshProfile();
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run"],
});
try {
  const times = urls.map(() => []);
  // Round 0 is untimed: it fills the HTTP cache.
  for (let round = 0; round <= rounds; round++) {
    for (const [i, url] of urls.entries()) {
      const page = await context.newPage();
      await page.goto(`${server.url}/bench/pages/peers.html`);
      await page.waitForFunction(() => window.measureColdOf !== undefined);
      const ms = await page.evaluate(
        ([url, storage]) => window.measureColdOf(url, storage),
        [url, storage],
      );
      await page.close();
      if (round > 0) times[i].push(ms);
    }
  }
  console.log(`## Cold start, import() to the first result (${storage}; ${rounds} rounds)\n`);
  console.log("| build | median | samples, sorted |");
  console.log("| --- | ---: | --- |");
  for (const [i, dir] of builds.entries()) {
    const sorted = [...times[i]].sort((a, b) => a - b);
    console.log(
      `| ${dir} | ${median(sorted).toFixed(1)} ms | ${sorted.map((t) => t.toFixed(0)).join(", ")} |`,
    );
  }
} finally {
  await context.close();
  removeProfile(profile);
  await server.close();
}
