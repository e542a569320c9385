// The speed suite (bench/speed/suite.mjs) through the Promise API in Node, for comparing builds of
// the engine side by side: each wasm file given runs the suite in a process of its own, and the
// rounds alternate the builds, so a drift of the machine spreads over all of them. Each run also
// runs the suite a second time in the same worker, on new tables ("warm": V8 has compiled the
// engine's functions by then). Prints the totals of every round and the median of each test;
// never fails on a number (docs/PERFORMANCE.md, "The engine room").
//
//   node bench/speed-node.mjs                              (the package's wasm)
//   node bench/speed-node.mjs build/a.wasm build/b.wasm    (ROUNDS=3 alternating rounds)
//   node bench/speed-node.mjs --quick                      (one round: the harness still runs)
//   STORAGE=file KEY=passphrase node bench/speed-node.mjs  (on files, every database keyed; a
//     wasm given then needs web-sqlite-cipher.wasm beside it)
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

import { speedSuite } from "./speed/suite.mjs";

const self = fileURLToPath(import.meta.url);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

if (process.argv[2] === "--child") {
  // One run: the suite, then again on tables of other names, each test timed.
  const { open } = await import("../js/dist/src/index.js");
  const wasm = process.argv[3];
  const storage = process.env.STORAGE ?? "memory";
  const dir = mkdtempSync(path.join(tmpdir(), "wsq-speed-node-"));
  const db = await open(storage === "memory" ? "speed" : path.join(dir, "speed.db"), {
    storage,
    ...(process.env.KEY ? { key: process.env.KEY } : {}),
    ...(wasm !== "-" ? { wasm: pathToFileURL(path.resolve(wasm)) } : {}),
  });
  const pass = async (rename) => {
    const times = [];
    for (const { sql } of speedSuite(1)) {
      const t = performance.now();
      await db.exec(rename(sql));
      times.push(performance.now() - t);
    }
    return times;
  };
  const cold = await pass((sql) => sql);
  const warm = await pass((sql) => sql.replace(/\b([ti])(\d)/g, "$1$2w"));
  await db.close();
  rmSync(dir, { recursive: true, force: true });
  console.log(JSON.stringify({ cold, warm }));
  process.exit(0);
}

const quick = process.argv.includes("--quick");
const wasms = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const builds = wasms.length ? wasms : ["-"];
const ROUNDS = Number(process.env.ROUNDS ?? (quick ? 1 : 3));
const runs = new Map(builds.map((b) => [b, []]));
for (let round = 1; round <= ROUNDS; round++) {
  for (const build of builds) {
    const out = execFileSync(process.execPath, [self, "--child", build], { maxBuffer: 1 << 24 });
    runs.get(build).push(JSON.parse(out.toString()));
  }
  console.error(`speed-node: round ${round} of ${ROUNDS} done`);
}

const name = (b) => (b === "-" ? "the package's wasm" : b);
const total = (times) => times.reduce((a, b) => a + b, 0);
console.log(
  `## Speed suite in Node (${process.env.STORAGE ?? "memory"}${process.env.KEY ? ", keyed" : ""}), ms\n`,
);
console.log("| build | totals, round by round | median | warm median |");
console.log("| --- | --- | ---: | ---: |");
for (const [build, list] of runs) {
  const totals = list.map((r) => total(r.cold));
  console.log(
    `| ${name(build)} | ${totals.map((t) => t.toFixed(0)).join(", ")} | ${median(totals).toFixed(0)} | ${median(list.map((r) => total(r.warm))).toFixed(0)} |`,
  );
}
console.log(`\n| test | ${builds.map((b) => `${name(b)} | warm`).join(" | ")} |`);
console.log(`| --- |${" ---: | ---: |".repeat(builds.length)}`);
speedSuite(1).forEach(({ name: test }, i) => {
  const cells = builds.flatMap((b) => [
    median(runs.get(b).map((r) => r.cold[i])).toFixed(1),
    median(runs.get(b).map((r) => r.warm[i])).toFixed(1),
  ]);
  console.log(`| ${i + 1}. ${test} | ${cells.join(" | ")} |`);
});
