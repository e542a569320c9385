// Workload 5 of the benchmarks: the bytes each library ships to a browser, every runtime file
// raw and gzip -9 (zlib level 9). web-sqlite: the browser bundles a page and its worker load
// (js/dist/web, scripts/bundle.mjs) and the wasm. Prints a markdown table.
//
//   node bench/bytes.mjs   (make bench runs it)
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { gzipSync } from "node:zlib";

import { ROOT } from "../e2e/server.mjs";
import { record } from "./results.mjs";

const web = (...names) => names.map((f) => path.join(ROOT, "js/dist/web", f));
const contestants = {
  "web-sqlite (Promise API: index.js, worker.js, broker.js)": web(
    "index.js",
    "worker.js",
    "broker.js",
    "web-sqlite.wasm",
  ),
  "web-sqlite (sync API: sync.js)": web("sync.js", "web-sqlite.wasm"),
  // What an app that opens a key downloads instead of web-sqlite.wasm (runtime/runtimes.ts).
  "web-sqlite (Promise API with encryption: web-sqlite-cipher.wasm)": web(
    "index.js",
    "worker.js",
    "broker.js",
    "web-sqlite-cipher.wasm",
  ),
  "@sqlite.org/sqlite-wasm 3.54.1-build1": [
    "index.mjs",
    "sqlite3.wasm",
    "sqlite3-opfs-async-proxy.js",
  ].map((f) => path.join(ROOT, "node_modules/@sqlite.org/sqlite-wasm/dist", f)),
  "wa-sqlite 1.0.0 (sync build + API + AccessHandlePoolVFS)": [
    "dist/wa-sqlite.mjs",
    "dist/wa-sqlite.wasm",
    "src/sqlite-api.js",
    "src/sqlite-constants.js",
    "src/VFS.js",
    "src/examples/AccessHandlePoolVFS.js",
  ].map((f) => path.join(ROOT, "node_modules/wa-sqlite", f)),
  "sql.js 1.16.0": ["sql-wasm-browser.js", "sql-wasm-browser.wasm"].map((f) =>
    path.join(ROOT, "node_modules/sql.js/dist", f),
  ),
};

const kb = (n) => `${(n / 1000).toFixed(1)} KB`;
const rows = Object.entries(contestants).map(([name, list]) => {
  let raw = 0;
  let gzip = 0;
  let wasm = 0;
  for (const file of list) {
    const bytes = readFileSync(file);
    const z = gzipSync(bytes, { level: 9 }).length;
    raw += bytes.length;
    gzip += z;
    if (file.endsWith(".wasm")) wasm += z;
  }
  return { name, files: list.map((f) => path.relative(ROOT, f)), raw, gzip, wasmGzip: wasm };
});
const ours = rows[0].gzip;
console.log("## Bytes shipped (every runtime file; gzip -9)\n");
console.log("| library | files | raw | gzip -9 | wasm gzip | JS gzip | gzip / web-sqlite |");
console.log("|---|---:|---:|---:|---:|---:|---:|");
for (const r of rows) {
  console.log(
    `| ${r.name} | ${r.files.length} | ${kb(r.raw)} | ${kb(r.gzip)} | ${kb(r.wasmGzip)} | ${kb(r.gzip - r.wasmGzip)} | ${(r.gzip / ours).toFixed(2)}x |`,
  );
}
console.log(`\nwrote ${record("bytes", { rows })}`);
