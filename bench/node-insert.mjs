// 100,000 single-row INSERTs in one transaction (prepare once; bind + step + reset per row through
// one wasm call), wasm in Node versus the same loop in the native build of the same core.
// Prints a markdown table with medians of 5 timed runs after one untimed warm-up run.
//   usage: node bench/node-insert.mjs [rows=100000]
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

// The bindings under the synchronous API (internal: not in the package's exports).
import { Connection } from "../js/dist/src/bindings/connection.js";
import { encodeParams } from "../js/dist/src/codec/params.js";
import { NodeFileSystem } from "../js/dist/src/runtime/hosts/node-fs.js";
import { loadRuntime } from "../js/dist/src/runtime/runtime.js";
import { record } from "./results.mjs";

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const rows = Number(process.argv[2] ?? 100_000);
const runs = 5;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wsq-bench-"));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function fresh(file) {
  for (const f of [file, `${file}-journal`]) fs.rmSync(f, { force: true });
}

function nativeRun(vfs, file) {
  fresh(file);
  const out = spawnSync(
    path.join(root, "build/native/wsq_native_bench"),
    [String(rows), file, vfs],
    {
      encoding: "utf8",
    },
  );
  if (out.status !== 0) throw new Error(out.stderr);
  return JSON.parse(out.stdout).ms;
}

const rt = await loadRuntime({ host: new NodeFileSystem(), log: () => {} });
let memoryName = 0;

function wasmRun(vfs, file) {
  fresh(file);
  const name = vfs === "wsq-memory" ? `bench-${memoryName++}.db` : file;
  const db = Connection.open(rt, name, { vfs });
  db.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, score REAL)");
  const start = performance.now();
  db.exec("BEGIN");
  const insert = db.prepare("INSERT INTO t(id, name, score) VALUES (?, ?, ?)");
  for (let i = 0; i < rows; i++) insert.runRaw(encode(i), false, false);
  insert.finalize();
  db.exec("COMMIT");
  const ms = performance.now() - start;
  db.close();
  return ms;
}

// The parameters are encoded by the library's own codec, as every call through the bindings does.
const encode = (i) => encodeParams([i, `name-${i}`, i * 0.5 + 0.25], false);

console.log(
  `${rows.toLocaleString("en-US")} INSERTs in one transaction, Node ${process.version}, median of ${runs} runs\n`,
);
console.log("| storage | native (ms) | wasm in Node (ms) | wasm / native |");
console.log("| --- | ---: | ---: | ---: |");
const results = [];
for (const [label, vfs] of [
  ["memory (wsq-memory)", "wsq-memory"],
  ["file (wsq-host)", "wsq-host"],
]) {
  const file = path.join(dir, "bench.db");
  nativeRun(vfs, file);
  wasmRun(vfs, file); // warm-up: wasm code is slow until the engine has optimized it
  const native = median(Array.from({ length: runs }, () => nativeRun(vfs, file)));
  const wasm = median(Array.from({ length: runs }, () => wasmRun(vfs, file)));
  results.push({ storage: vfs, native, wasm });
  console.log(
    `| ${label} | ${native.toFixed(1)} | ${wasm.toFixed(1)} | ${(wasm / native).toFixed(2)}x |`,
  );
}
fs.rmSync(dir, { recursive: true, force: true });
console.log(`\nwrote ${record("nodeInserts", { rows, runs, results })}`);
