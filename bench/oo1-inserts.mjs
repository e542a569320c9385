// 100,000 INSERTs through Statement.bind/step/reset in a worker: web-sqlite's synchronous API
// against the official sqlite-wasm oo1 API (@sqlite.org/sqlite-wasm, same SQLite version), in
// the same Chromium run, in memory and on OPFS (theirs: the opfs-sahpool VFS). One transaction
// each; durability full for web-sqlite. Prints a markdown table; never fails on slow numbers.
//
//   node bench/oo1-inserts.mjs            (make bench runs it)
//   node bench/oo1-inserts.mjs --quick    (tiny sizes: checks the harness still runs)
import { startSession, testPage } from "../e2e/harness.mjs";
import { record } from "./results.mjs";

const quick = process.argv.includes("--quick");
const rows = quick ? 1000 : 100000;
const runs = quick ? 1 : 5;

const session = await startSession({ port: 8792 });
try {
  const page = await testPage(session.context, session.server.url);
  const out = await page.evaluate(
    ({ rows, runs }) =>
      new Promise((resolve) => {
        const worker = new Worker(`/bench/pages/oo1-worker.js?rows=${rows}&runs=${runs}`, {
          type: "module",
        });
        worker.onmessage = (e) => resolve(e.data);
        worker.onerror = (e) => resolve({ ok: false, error: e.message || "worker failed to load" });
      }),
    { rows, runs },
  );
  if (!out.ok) throw new Error(out.error);
  const r = out.results;
  const fmt = (x) => `${x.median.toFixed(1)} ms (${x.min.toFixed(1)}–${x.max.toFixed(1)})`;
  console.log(
    `## ${r.rows.toLocaleString("en")} INSERTs via prepare + bind/step/reset in a worker (SQLite ${r.version} in both)\n`,
  );
  console.log("| storage | web-sqlite | official oo1 | official / web-sqlite |");
  console.log("|---|---|---|---|");
  console.log(
    `| memory | ${fmt(r.memory.ours)} | ${fmt(r.memory.official)} | ${(r.memory.official.median / r.memory.ours.median).toFixed(2)}x |`,
  );
  console.log(
    `| OPFS (web-sqlite: opfs, durability full; official: opfs-sahpool) | ${fmt(r.opfs.ours)} | ${fmt(r.opfs.official)} | ${(r.opfs.official.median / r.opfs.ours.median).toFixed(2)}x |`,
  );
  console.log(`\nmedians of ${r.runs} runs after an untimed warm-up; one transaction per run.`);
  if (!quick) console.log(`\nwrote ${record("oo1Inserts", r)}`);
} finally {
  await session.close();
}
