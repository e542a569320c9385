// Sync with PostgreSQL, measured against a PostgreSQL 15 cluster of its own on loopback, with
// Node devices (web-sqlite databases on files, the real wasm) and sync servers in this process:
//   1. a write on device A visible on device B (A's commit → Postgres → B's onChange): p50, p95
//   2. a new device's first sync of 100,000 rows: rows per second, and the memory it took
//   3. uploads: rows per second from one device, and from 10 at once through one and through two
//      sync servers, beside Postgres's own rate for the same INSERTs from one pg client
//   4. the bytes the client code adds to the Promise API's bundles (gzip -9)
// Prints numbers and ratios; never fails on them.
//
//   node bench/pg-sync.mjs            (make bench runs it)
//   node bench/pg-sync.mjs --quick    (tiny sizes: checks the harness still runs)
import http from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { gzipSync } from "node:zlib";

import { build } from "esbuild";
import pg from "pg";

import { startPostgres } from "../e2e/postgres.mjs";
import { ROOT } from "../e2e/server.mjs";
import { open } from "../js/dist/src/index.js";
import { createSyncServer } from "../js/dist/src/server/index.js";
import { options } from "../scripts/bundle.mjs";
import { record } from "./results.mjs";

const quick = process.argv.includes("--quick");
const VISIBLE = quick ? 20 : 300;
const FIRST_SYNC = quick ? 2000 : 100_000;
const UPLOADS = quick ? 200 : 5000;
const DEVICES = 10;

const postgres = await startPostgres();
const sql = new pg.Client({ connectionString: postgres.url });
await sql.connect();
await sql.query(`CREATE TABLE items (id text PRIMARY KEY, body text, n integer)`);
const dir = mkdtempSync(path.join(tmpdir(), "wsq-bench-sync-"));
const servers = [];

async function gateway() {
  const server = await createSyncServer({ postgres: postgres.url, tables: ["items"] });
  const web = http.createServer(server.handler);
  await new Promise((resolve) => web.listen(0, "127.0.0.1", resolve));
  const g = {
    url: `http://127.0.0.1:${web.address().port}/sync`,
    async close() {
      web.closeAllConnections();
      await new Promise((r) => web.close(r));
      await server.close();
    },
  };
  servers.push(g);
  return g;
}

let files = 0;
async function device(url) {
  const db = await open(path.join(dir, `d${files++}.db`));
  await db.exec("CREATE TABLE IF NOT EXISTS items (id TEXT PRIMARY KEY, body TEXT, n INTEGER)");
  const sync = await db.sync({ url, tables: ["items"] });
  await sync.whenSynced();
  return { db, sync };
}

const percentile = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
const body = "x".repeat(64);
const results = {};

try {
  const one = await gateway();
  const two = await gateway();

  // 1. Write → visible on another device.
  {
    const a = await device(one.url);
    const b = await device(one.url);
    const times = [];
    for (let i = 0; i < VISIBLE; i++) {
      const id = `v${i}`;
      const seen = new Promise((resolve) => {
        const stop = b.db.onChange(async () => {
          const rows = await b.db.query("SELECT 1 FROM items WHERE id = ?", [id]);
          if (rows.length) {
            stop();
            resolve();
          }
        });
      });
      const t0 = performance.now();
      await a.db.exec("INSERT INTO items VALUES (?, ?, ?)", [id, body, i]);
      await seen;
      times.push(performance.now() - t0);
    }
    times.sort((x, y) => x - y);
    results.visible = {
      writes: VISIBLE,
      p50Ms: percentile(times, 0.5),
      p95Ms: percentile(times, 0.95),
    };
    for (const d of [a, b]) {
      await d.sync.stop();
      await d.db.close();
    }
    await sql.query("DELETE FROM items");
  }

  // 2. A new device's first sync.
  {
    await sql.query(
      `INSERT INTO items SELECT 'f' || g, repeat('y', 64), g FROM generate_series(1, ${FIRST_SYNC}) g`,
    );
    global.gc?.();
    const before = process.memoryUsage();
    let peak = before.rss;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
    const t0 = performance.now();
    const d = await device(one.url);
    const ms = performance.now() - t0;
    clearInterval(sampler);
    const [{ n }] = await d.db.query("SELECT count(*) AS n FROM items");
    results.firstSync = {
      rows: n,
      ms,
      rowsPerSecond: (n / ms) * 1000,
      peakRssGrowthMB: (peak - before.rss) / 1e6,
    };
    await d.sync.stop();
    await d.db.close();
    await sql.query("DELETE FROM items");
  }

  // 3. Uploads: single-row transactions, as an app's writes are, written while the device is
  // offline (its sync stopped), then timed from db.sync() to whenSynced(): the upload alone.
  const uploadFrom = async (devices, urls) => {
    await Promise.all(
      devices.map(async (d, k) => {
        await d.sync.stop();
        for (let i = 0; i < UPLOADS; i++) {
          await d.db.exec("INSERT INTO items VALUES (?, ?, ?)", [`u${k}-${i}-${files}`, body, i]);
        }
      }),
    );
    const t0 = performance.now();
    await Promise.all(
      devices.map(async (d, k) => {
        d.sync = await d.db.sync({ url: urls[k % urls.length], tables: ["items"] });
        await d.sync.whenSynced();
      }),
    );
    return ((devices.length * UPLOADS) / (performance.now() - t0)) * 1000;
  };
  {
    const baseline = new pg.Client({ connectionString: postgres.url });
    await baseline.connect();
    let t0 = performance.now();
    for (let i = 0; i < UPLOADS; i++) {
      await baseline.query("INSERT INTO items VALUES ($1, $2, $3)", [`p${i}`, body, i]);
    }
    const postgresRate = (UPLOADS / (performance.now() - t0)) * 1000;
    await baseline.end();
    await sql.query("DELETE FROM items");

    const single = await device(one.url);
    const oneDevice = await uploadFrom([single], [one.url]);
    await single.sync.stop();
    await single.db.close();
    await sql.query("DELETE FROM items");

    const many = [];
    for (let k = 0; k < DEVICES; k++) many.push(await device(one.url));
    const tenOneGateway = await uploadFrom(many, [one.url]);
    for (const d of many) {
      await d.sync.stop();
      await d.db.close();
    }
    await sql.query("DELETE FROM items");
    const spread = [];
    for (let k = 0; k < DEVICES; k++) spread.push(await device(k % 2 ? two.url : one.url));
    const tenTwoGateways = await uploadFrom(spread, [one.url, two.url]);
    for (const d of spread) {
      await d.sync.stop();
      await d.db.close();
    }
    results.uploads = {
      rowsPerTransaction: 1,
      postgresOneClient: postgresRate,
      oneDevice,
      tenDevicesOneGateway: tenOneGateway,
      tenDevicesTwoGateways: tenTwoGateways,
    };
  }

  // 4. Bytes: what the sync client adds to the Promise API's bundles (page and worker).
  {
    const out = await build({ ...options, write: false, metafile: true, sourcemap: false });
    let added = 0;
    let total = 0;
    let gzip = 0;
    for (const [file, info] of Object.entries(out.metafile.outputs)) {
      if (!/\/(index|worker)\.js$/.test(file)) continue;
      total += info.bytes;
      const text = out.outputFiles.find((o) => o.path.endsWith(file.replace(/^.*\//, "/")));
      gzip += gzipSync(text.contents, { level: 9 }).length;
      for (const [input, { bytesInOutput }] of Object.entries(info.inputs)) {
        if (/pgsync\/|client\/pg-sync\.ts/.test(input)) added += bytesInOutput;
      }
    }
    results.bytes = { minifiedInBundles: added, gzipEstimate: (added * gzip) / total };
  }
} finally {
  for (const s of servers) await s.close();
  await sql.end();
  await postgres.stop();
  rmSync(dir, { recursive: true, force: true });
}

const f = (n) => n.toLocaleString("en-US", { maximumFractionDigits: 1 });
console.log("## Sync with PostgreSQL (Node devices, loopback)\n");
console.log("| measure | value | target |");
console.log("|---|---:|---|");
console.log(
  `| write on A → visible on B, p50 (${results.visible.writes} writes) | ${f(results.visible.p50Ms)} ms | ≤ 100 ms |`,
);
console.log(`| write on A → visible on B, p95 | ${f(results.visible.p95Ms)} ms | |`);
console.log(
  `| first sync of ${f(results.firstSync.rows)} rows | ${f(results.firstSync.rowsPerSecond)} rows/s (${f(results.firstSync.ms)} ms) | ≥ 50,000 rows/s |`,
);
console.log(`| first sync: peak RSS growth | ${f(results.firstSync.peakRssGrowthMB)} MB | |`);
const u = results.uploads;
console.log(
  `| Postgres, one pg client, single-row INSERTs | ${f(u.postgresOneClient)} rows/s | the limit |`,
);
console.log(
  `| uploads from one device (${UPLOADS} single-row transactions written offline) | ${f(u.oneDevice)} rows/s (${(u.oneDevice / u.postgresOneClient).toFixed(2)}x Postgres) | ≥ 0.5x |`,
);
console.log(
  `| uploads from ${DEVICES} devices, one sync server | ${f(u.tenDevicesOneGateway)} rows/s | |`,
);
console.log(
  `| uploads from ${DEVICES} devices, two sync servers | ${f(u.tenDevicesTwoGateways)} rows/s | |`,
);
console.log(
  `| client code in the Promise API's bundles (page + worker, minified) | ${f(results.bytes.minifiedInBundles / 1000)} KB (gzip ≈ ${f(results.bytes.gzipEstimate / 1000)} KB) | |`,
);
console.log(`\n(recorded in ${record("pg-sync", { quick, ...results })})`);
