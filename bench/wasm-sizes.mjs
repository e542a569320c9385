// Where the bytes of a wasm build go: its functions' code by origin (SQLite's source files, the
// core, the C and C++ libraries) and its data, raw and gzip -9 (each group's function bodies
// compressed together). Needs a build that keeps its names (cmake -DWSQ_WASM_NAMES=ON); SQLite's
// functions are told by their definitions in the amalgamation. Prints markdown; never fails on a
// number (docs/PERFORMANCE.md, "Bytes shipped").
//
//   cmake -S . -B build/wasm-names -DCMAKE_TOOLCHAIN_FILE=cmake/wasm32-wasi.cmake -DWSQ_WASM_NAMES=ON
//   cmake --build build/wasm-names --target web_sqlite_wasm_opt
//   node bench/wasm-sizes.mjs build/wasm-names/web-sqlite.wasm [--top N]
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

import { declared, fileOfLines, readLines } from "../scripts/amalgamation.mjs";

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const file = process.argv[2];
const topAt = process.argv.indexOf("--top");
const top = topAt > 0 ? Number(process.argv[topAt + 1]) : 0;
if (!file) {
  console.error("usage: node bench/wasm-sizes.mjs <wasm built with WSQ_WASM_NAMES> [--top N]");
  process.exit(2);
}
const amalgamation = path.join(ROOT, "build/deps/sqlite-3.54.1/sqlite3.c");

/** The function bodies (by index, imports first), their names and the data segments' bytes. */
function readModule(bytes) {
  let p = 8;
  const leb = () => {
    let result = 0;
    let shift = 0;
    let byte;
    do {
      byte = bytes[p++];
      result += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return result;
  };
  const skipLimits = () => (leb() & 1 ? (leb(), leb()) : leb());
  let imported = 0;
  let data = 0;
  const bodies = [];
  const names = new Map();
  while (p < bytes.length) {
    const id = bytes[p++];
    const size = leb();
    const end = p + size;
    if (id === 2) {
      for (let n = leb(); n > 0; n--) {
        const skip = () => {
          const length = leb();
          p += length;
        };
        skip(); // module
        skip(); // field
        const kind = bytes[p++];
        if (kind === 0) (leb(), imported++);
        else if (kind === 1) (p++, skipLimits());
        else if (kind === 2) skipLimits();
        else p += 2;
      }
    } else if (id === 10) {
      for (let n = leb(); n > 0; n--) {
        const length = leb();
        bodies.push(bytes.subarray(p, p + length));
        p += length;
      }
    } else if (id === 11) {
      data = size;
    } else if (id === 0) {
      const length = leb();
      const name = bytes.toString("utf8", p, p + length);
      p += length;
      while (name === "name" && p < end) {
        const sub = bytes[p++];
        const subEnd = leb() + p;
        if (sub === 1) {
          for (let n = leb(); n > 0; n--) {
            const index = leb();
            const nameLength = leb();
            names.set(index, bytes.toString("utf8", p, p + nameLength));
            p += nameLength;
          }
        }
        p = subEnd;
      }
    }
    p = end;
  }
  return { bodies, names: (i) => names.get(i + imported), data };
}

/** SQLite's function definitions: name -> the source file of the amalgamation defining it. */
function sqliteDefinitions() {
  const lines = readLines(amalgamation);
  const { fileAt } = fileOfLines(lines, amalgamation);
  const defined = new Map();
  lines.forEach((_, i) => {
    const d = declared(lines, i);
    if (d?.definition && !defined.has(d.name)) defined.set(d.name, fileAt[i] ?? "sqlite3.c");
  });
  return defined;
}

const { bodies, names, data } = readModule(readFileSync(file));
if (!names(0) && !names(1)) {
  console.error(`${file} has no function names: build it with -DWSQ_WASM_NAMES=ON`);
  process.exit(2);
}
const defined = sqliteDefinitions();
const groups = new Map();
const add = (group, name, body) => {
  const g = groups.get(group) ?? { bodies: [], functions: [] };
  g.bodies.push(body);
  g.functions.push([body.length, name]);
  groups.set(group, g);
};
bodies.forEach((body, i) => {
  const name = names(i) ?? `function ${i}`;
  if (defined.has(name)) add(`SQLite: ${defined.get(name)}`, name, body);
  else if (/^(wsq_|wsq::)/.test(name)) add("the core (core/src)", name, body);
  else add("C and C++ libraries, and the rest", name, body);
});

const kb = (n) => (n / 1024).toFixed(1);
const rows = [...groups]
  .map(([group, g]) => ({
    group,
    count: g.bodies.length,
    raw: g.bodies.reduce((sum, b) => sum + b.length, 0),
    gzip: gzipSync(Buffer.concat(g.bodies), { level: 9 }).length,
    functions: g.functions.sort((a, b) => b[0] - a[0]),
  }))
  .sort((a, b) => b.raw - a.raw);
const total = rows.reduce((sum, r) => sum + r.raw, 0);
const sqlite = rows.filter((r) => r.group.startsWith("SQLite"));
const sqliteRaw = sqlite.reduce((sum, r) => sum + r.raw, 0);
console.log(`## ${path.basename(file)}: code ${kb(total)} KB raw, data ${kb(data)} KB raw\n`);
console.log(
  `SQLite's functions: ${kb(sqliteRaw)} KB, ${((100 * sqliteRaw) / total).toFixed(1)}% of the code.\n`,
);
console.log("| origin | functions | code | gzip -9 | share of the code |");
console.log("| --- | ---: | ---: | ---: | ---: |");
for (const r of rows) {
  console.log(
    `| ${r.group} | ${r.count} | ${kb(r.raw)} KB | ${kb(r.gzip)} KB | ${((100 * r.raw) / total).toFixed(1)}% |`,
  );
}
if (top > 0) {
  console.log(`\n| largest functions | origin | code |\n| --- | --- | ---: |`);
  const all = rows.flatMap((r) => r.functions.map(([size, name]) => [size, name, r.group]));
  for (const [size, name, group] of all.sort((a, b) => b[0] - a[0]).slice(0, top)) {
    console.log(`| \`${name.slice(0, 60)}\` | ${group} | ${size.toLocaleString("en")} B |`);
  }
}
