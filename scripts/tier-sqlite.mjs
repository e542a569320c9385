// Writes a copy of the SQLite amalgamation in which the given source files are compiled for size:
// their functions get clang's minsize attribute (what -Oz does to every function), while the rest
// keeps the build's optimization level. The amalgamation marks each source file with
// "Begin file X.c" / "End of X.c" comments; the pragmas go around them.
//
//   node scripts/tier-sqlite.mjs <sqlite3.c> <out.c> <file.c>...   (CMake runs it for wasm)
import { readFileSync, writeFileSync } from "node:fs";

const [input, output, ...small] = process.argv.slice(2);
const text = readFileSync(input, "latin1");
const begin = /^\/\*{14} Begin file (\S+\.c) \*+\/$/;
const end = /^\/\*{14} End of (\S+\.c) \*+\/$/;
const PUSH = "#pragma clang attribute push (__attribute__((minsize)), apply_to = function)";
const POP = "#pragma clang attribute pop";

const smallSet = new Set(small);
const seen = new Set();
const open = [];
const out = [];
for (const line of text.split("\n")) {
  let m = begin.exec(line);
  if (m) {
    seen.add(m[1]);
    open.push(m[1]);
    if (smallSet.has(m[1])) out.push(PUSH);
  }
  m = end.exec(line);
  if (m) {
    if (open.pop() !== m[1])
      throw new Error(`${input}: "End of ${m[1]}" does not close the last file`);
    out.push(line);
    if (smallSet.has(m[1])) out.push(POP);
    continue;
  }
  out.push(line);
}
if (open.length > 0) throw new Error(`${input}: files left open: ${open.join(", ")}`);
const missing = small.filter((f) => !seen.has(f));
if (missing.length > 0) throw new Error(`${input}: files not in the amalgamation: ${missing}`);
writeFileSync(output, out.join("\n"), "latin1");
