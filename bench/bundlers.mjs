// What an app ships with each bundler: the tiny app of e2e/app (the Promise API on the page, the
// synchronous API in its own worker), built for production from the npm tarball by each bundler
// as e2e/bundlers.test.mjs builds it; every file the build emits (source maps aside), raw and
// gzip -9, and the build's time. Also the tarball itself. Prints markdown tables.
//
//   node bench/bundlers.mjs   (make bench runs it)
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { gzipSync } from "node:zlib";

import { BUNDLERS, newApp, pack } from "../e2e/apps.mjs";
import { record } from "./results.mjs";

const kb = (n) => `${(n / 1000).toFixed(1)} KB`;
const work = mkdtempSync(path.join(tmpdir(), "wsq-bench-bundlers-"));
try {
  const tarball = pack(work);
  const packed = readFileSync(tarball.path).length;
  console.log("## The npm package\n");
  console.log(`${tarball.files.length} files, ${kb(packed)} packed\n`);

  const rows = [];
  for (const bundler of BUNDLERS) {
    const app = newApp(work, tarball, bundler.name.replace(/\W/g, "-"));
    const started = performance.now();
    await bundler.build(app);
    const ms = performance.now() - started;
    const dist = path.join(app, "dist");
    let raw = 0;
    let gzip = 0;
    let wasm = 0;
    let files = 0;
    for (const file of readdirSync(dist, { recursive: true })) {
      if (file.endsWith(".map") || file.endsWith(".html") || !/\.\w+$/.test(file)) continue;
      const bytes = readFileSync(path.join(dist, file));
      const z = gzipSync(bytes, { level: 9 }).length;
      files++;
      raw += bytes.length;
      gzip += z;
      if (file.endsWith(".wasm")) wasm += z;
    }
    rows.push({ bundler: bundler.name, files, raw, gzip, wasmGzip: wasm, buildMs: Math.round(ms) });
  }
  console.log("## What the app ships, per bundler (production build; gzip -9)\n");
  console.log("| bundler | files | raw | gzip -9 | wasm gzip | JS gzip | build |");
  console.log("|---|---:|---:|---:|---:|---:|---:|");
  for (const r of rows) {
    console.log(
      `| ${r.bundler} | ${r.files} | ${kb(r.raw)} | ${kb(r.gzip)} | ${kb(r.wasmGzip)} | ${kb(r.gzip - r.wasmGzip)} | ${(r.buildMs / 1000).toFixed(1)} s |`,
    );
  }
  record("bundlers", { tarball: { files: tarball.files.length, bytes: packed }, builds: rows });
} finally {
  rmSync(work, { recursive: true, force: true });
}
