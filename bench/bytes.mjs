// Workload 5 of the benchmarks: the bytes each library ships to a browser, every runtime file
// raw and gzip -9 (zlib level 9). web-sqlite: the browser bundles a page and its worker load
// (js/dist/web, scripts/bundle.mjs) and the wasm. Prints a markdown table.
//
//   node bench/bytes.mjs   (make bench runs it)
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { gzipSync } from "node:zlib";

import { ROOT } from "../e2e/server.mjs";

const web = (...names) => names.map((f) => path.join(ROOT, "js/dist/web", f));
const contestants = {
  "web-sqlite (Promise API: index.js, worker.js)": web("index.js", "worker.js", "web-sqlite.wasm"),
  "web-sqlite (sync API: sync.js)": web("sync.js", "web-sqlite.wasm"),
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
console.log("## Bytes shipped (every runtime file; gzip -9)\n");
console.log("| library | files | raw | gzip -9 | wasm gzip | JS gzip |");
console.log("|---|---:|---:|---:|---:|---:|");
for (const [name, list] of Object.entries(contestants)) {
  let raw = 0;
  let gz = 0;
  let wasm = 0;
  for (const file of list) {
    const bytes = readFileSync(file);
    const z = gzipSync(bytes, { level: 9 }).length;
    raw += bytes.length;
    gz += z;
    if (file.endsWith(".wasm")) wasm += z;
  }
  console.log(
    `| ${name} | ${list.length} | ${kb(raw)} | ${kb(gz)} | ${kb(wasm)} | ${kb(gz - wasm)} |`,
  );
}
