// Runs in a dedicated worker: 100,000 INSERTs through prepare + bind/step/reset, with web-sqlite's
// synchronous API and with the official sqlite-wasm oo1 API, in memory and on OPFS. Posts the
// medians (after an untimed warm-up run of each).
import sqlite3InitModule from "../../node_modules/@sqlite.org/sqlite-wasm/dist/index.mjs";
import { Database } from "../../js/dist/web/sync.js";

const params = new URLSearchParams(location.search);
const ROWS = Number(params.get("rows") ?? 100000);
const RUNS = Number(params.get("runs") ?? 5);
const SQL = "INSERT INTO t(id, name, score) VALUES (?, ?, ?)";
const SCHEMA = "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, score REAL)";

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// ours() and official() hold the same loop on purpose, each its own copy: one shared function
// would see both libraries' objects at its call sites, and the JIT would make those sites
// polymorphic and slow for both (measured: web-sqlite 9% slower that way).
async function ours(storage, run) {
  const name = `oo1-bench-${storage}-${run}.db`;
  const db = await Database.open(name, { storage });
  db.exec(`DROP TABLE IF EXISTS t; ${SCHEMA}`);
  const stmt = db.prepare(SQL);
  const t = performance.now();
  db.transaction(() => {
    for (let i = 0; i < ROWS; i++) {
      stmt.bind([i, `name ${i}`, i * 0.5]).step();
      stmt.reset();
    }
  });
  const ms = performance.now() - t;
  if (db.selectValue("SELECT count(*) FROM t") !== ROWS) throw new Error("web-sqlite: wrong count");
  stmt.finalize();
  await db.closeAsync();
  return ms;
}

function official(sqlite3, open, run, remove = () => {}) {
  const db = open(run);
  db.exec(`DROP TABLE IF EXISTS t; ${SCHEMA}`);
  const stmt = db.prepare(SQL);
  const t = performance.now();
  db.transaction(() => {
    for (let i = 0; i < ROWS; i++) {
      stmt.bind([i, `name ${i}`, i * 0.5]).step();
      stmt.reset();
    }
  });
  const ms = performance.now() - t;
  if (db.selectValue("SELECT count(*) FROM t") !== ROWS) throw new Error("official: wrong count");
  stmt.finalize();
  db.close();
  remove(run);
  return ms;
}

async function measure(fn) {
  await fn(-1); // warm-up
  const times = [];
  for (let run = 0; run < RUNS; run++) times.push(await fn(run));
  return { median: median(times), min: Math.min(...times), max: Math.max(...times) };
}

try {
  const sqlite3 = await sqlite3InitModule({ print: () => {}, printErr: () => {} });
  const pool = await sqlite3.installOpfsSAHPoolVfs({ name: "bench-sahpool" });
  const results = {
    version: sqlite3.version.libVersion,
    rows: ROWS,
    runs: RUNS,
    memory: {
      ours: await measure((run) => ours("memory", run)),
      official: await measure((run) =>
        official(sqlite3, () => new sqlite3.oo1.DB(":memory:"), run),
      ),
    },
    opfs: {
      ours: await measure((run) => ours("opfs", run)),
      official: await measure((run) =>
        official(
          sqlite3,
          (r) => new pool.OpfsSAHPoolDb(`/oo1-bench-${r}.db`),
          run,
          (r) => pool.unlink(`/oo1-bench-${r}.db`),
        ),
      ),
    },
  };
  postMessage({ ok: true, results });
} catch (e) {
  postMessage({ ok: false, error: `${e?.name}: ${e?.message}\n${e?.stack}` });
}
