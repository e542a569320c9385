// The journal mode / page size measurements behind the OPFS defaults, through the Promise API in
// Chromium. Prints a markdown table; never fails on slow numbers. (Round trips, rows to the main
// thread and cold start are measured against the peers by bench/peers-main.mjs.)
//
//   node bench/opfs-journal.mjs            (make bench runs it)
//   node bench/opfs-journal.mjs --quick    (tiny sizes: checks the harness still runs)
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

import { record } from "./results.mjs";
import { freshProfile, launch, removeProfile, testPage } from "../e2e/harness.mjs";
import { serve } from "../e2e/server.mjs";

const quick = process.argv.includes("--quick");
const RUNS = quick ? 1 : 3;
const COMMITS = quick ? 20 : 500;
const BULK = quick ? 1000 : 200_000;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms) => (ms < 1 ? ms.toFixed(3) : ms.toFixed(1));

/** A 4 KB append and fdatasync, `commits` times, on a file in the temp directory: ms each. */
function nodeFlushFloor(commits) {
  const dir = mkdtempSync(path.join(tmpdir(), "wsq-flush-"));
  const fd = openSync(path.join(dir, "floor"), "w");
  const page = Buffer.alloc(4096, 7);
  const t = performance.now();
  for (let i = 0; i < commits; i++) {
    writeSync(fd, page, 0, page.length, i * 4096);
    fdatasyncSync(fd);
  }
  const ms = (performance.now() - t) / commits;
  closeSync(fd);
  rmSync(dir, { recursive: true, force: true });
  return ms;
}

const server = await serve({ port: 8790 });
const profile = freshProfile();
const context = await launch(profile);

const section = { runs: RUNS, journalAndPageSize: [] };
try {
  // Journal mode, synchronous setting and page size on OPFS: single-row commits and one bulk
  // transaction. FULL is durability "full"; NORMAL (WAL) and OFF are what "relaxed" could be.
  const configs = [
    ["delete", "FULL", 4096],
    ["truncate", "FULL", 4096],
    ["persist", "FULL", 4096],
    ["truncate", "FULL", 8192],
    ["truncate", "FULL", 16384],
    ["wal", "FULL", 4096],
    ["truncate", "OFF", 4096],
    ["wal", "NORMAL", 4096],
  ];
  console.log(
    `## Journal mode and page size on OPFS (${COMMITS} autocommit INSERTs; ${BULK.toLocaleString("en")} rows INSERTed by one statement; then a full scan)\n`,
  );
  console.log("| journal_mode | synchronous | page_size | per commit | bulk | scan |");
  console.log("|---|---|---|---|---|---|");
  const jp = await testPage(context, server.url);
  for (const [mode, sync, pageSize] of configs) {
    const results = [];
    for (let run = 0; run < RUNS; run++) {
      results.push(
        await jp.evaluate(
          async ({ mode, sync, pageSize, commits, bulk, run }) => {
            const name = `bench-journal-${mode}-${sync}-${pageSize}-${run}.db`;
            await window.wsq.deleteDatabase(name);
            const db = await window.wsq.open(name);
            await db.exec(
              `PRAGMA page_size = ${pageSize}; PRAGMA journal_mode = ${mode}; ` +
                `PRAGMA synchronous = ${sync}`,
            );
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
          { mode, sync, pageSize, commits: COMMITS, bulk: BULK, run },
        ),
      );
    }
    section.journalAndPageSize.push({ mode, synchronous: sync, pageSize, runs: results });
    console.log(
      `| ${mode} | ${sync} | ${pageSize} | ${fmt(median(results.map((r) => r.perCommit)))} ms | ${fmt(median(results.map((r) => r.bulkMs)))} ms | ${fmt(median(results.map((r) => r.scan)))} ms |`,
    );
  }
  // The floor of a durable commit: one 4 KB append and one flush, with nothing else, through an
  // OPFS sync access handle in a worker, and on a file in Node (fdatasync, which SQLite's unix
  // VFS uses to sync), on the same disk.
  const floors = [];
  for (let run = 0; run < RUNS; run++) {
    const opfs = await jp.evaluate(
      (commits) =>
        new Promise((resolve, reject) => {
          const source = `onmessage = async (e) => {
            const root = await navigator.storage.getDirectory();
            const file = await root.getFileHandle("bench-flush-floor", { create: true });
            const handle = await file.createSyncAccessHandle();
            handle.truncate(0);
            const page = new Uint8Array(4096).fill(7);
            const t = performance.now();
            for (let i = 0; i < e.data; i++) {
              handle.write(page, { at: i * 4096 });
              handle.flush();
            }
            const ms = (performance.now() - t) / e.data;
            handle.close();
            await root.removeEntry("bench-flush-floor");
            postMessage(ms);
          };`;
          const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
          const worker = new Worker(url, { type: "module" });
          worker.onmessage = (e) => resolve(e.data);
          worker.onerror = (e) => reject(new Error(e.message));
          worker.postMessage(commits);
        }),
      COMMITS,
    );
    floors.push({ opfs, node: nodeFlushFloor(COMMITS) });
  }
  section.flushFloor = floors;
  const opfsFloor = median(floors.map((f) => f.opfs));
  const nodeFloor = median(floors.map((f) => f.node));
  console.log(
    `\nThe floor of a durable commit (a 4 KB append and a flush, ${COMMITS} times): OPFS sync ` +
      `access handle ${fmt(opfsFloor)} ms, a file in Node (fdatasync) ${fmt(nodeFloor)} ms: ` +
      `${(opfsFloor / nodeFloor).toFixed(2)}x.`,
  );
  await jp.close();
  console.log(`\nmedians of ${RUNS} runs, a fresh database each.`);
  if (!quick) console.log(`\nwrote ${record("opfsJournal", section)}`);
} finally {
  await context.close();
  await server.close();
  removeProfile(profile);
}
