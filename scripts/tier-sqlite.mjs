// Writes a copy of the SQLite amalgamation in which the given source files are compiled for size:
// their functions get clang's minsize attribute (what -Oz does to every function), while the rest
// keeps the build's optimization level. The amalgamation marks each file it pastes in with
// "Begin file X" / "End of X" comments; the pragmas go at those markers.
//
// Two details keep the attribute off the rest: a header pasted inside a listed file (vdbeInt.h
// sits inside status.c) is left out, since its prototypes would carry the attribute to functions
// defined elsewhere; and so is a listed file's own re-declaration of a function defined in an
// unlisted one.
//
//   node scripts/tier-sqlite.mjs <sqlite3.c> <out.c> <file.c>...   (CMake runs it for wasm)
import { writeFileSync } from "node:fs";

import { BEGIN, declared, fileOfLines, readLines } from "./amalgamation.mjs";

const [input, output, ...small] = process.argv.slice(2);
const lines = readLines(input);
const PUSH = "#pragma clang attribute push (__attribute__((minsize)), apply_to = function)";
const POP = "#pragma clang attribute pop";
const smallSet = new Set(small);

// Pass 1: which lines are in a listed file (the innermost file pasted at that line decides).
const { fileAt, seen } = fileOfLines(lines, input);
const inSmall = fileAt.map((file) => smallSet.has(file));
const missing = small.filter((f) => !seen.has(f));
if (missing.length > 0) throw new Error(`${input}: files not in the amalgamation: ${missing}`);

const definedElsewhere = new Set();
for (let i = 0; i < lines.length; i++) {
  if (inSmall[i]) continue;
  const d = declared(lines, i);
  if (d?.definition) definedElsewhere.add(d.name);
}

// Pass 2: the pragmas, with each prototype in a listed file of a function defined in an unlisted
// one taken out of them.
const out = [];
let pushed = false;
const set = (want) => {
  if (want !== pushed) out.push(want ? PUSH : POP);
  pushed = want;
};
for (let i = 0; i < lines.length; i++) {
  const d = inSmall[i] ? declared(lines, i) : null;
  if (d && !d.definition && definedElsewhere.has(d.name)) {
    set(false);
    for (; i <= d.last; i++) out.push(lines[i]);
    i--;
    continue;
  }
  set(inSmall[i] && !BEGIN.test(lines[i]));
  out.push(lines[i]);
}
set(false);
writeFileSync(output, out.join("\n"), "latin1");
