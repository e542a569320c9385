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
import { readFileSync, writeFileSync } from "node:fs";

const [input, output, ...small] = process.argv.slice(2);
const lines = readFileSync(input, "latin1").split("\n");
const begin = /^\/\*{14} Begin file (\S+) \*+\/$/;
const end = /^\/\*{14} End of (\S+) \*+\/$/;
const PUSH = "#pragma clang attribute push (__attribute__((minsize)), apply_to = function)";
const POP = "#pragma clang attribute pop";
const smallSet = new Set(small);

// Pass 1: which lines are in a listed file (the innermost file pasted at that line decides).
const inSmall = new Array(lines.length).fill(false);
const seen = new Set();
const open = [];
lines.forEach((line, i) => {
  let m = begin.exec(line);
  if (m) {
    seen.add(m[1]);
    open.push(m[1]);
  }
  inSmall[i] = open.length > 0 && smallSet.has(open[open.length - 1]);
  m = end.exec(line);
  if (m && open.pop() !== m[1]) {
    throw new Error(`${input}: "End of ${m[1]}" does not close the last file`);
  }
});
if (open.length > 0) throw new Error(`${input}: files left open: ${open.join(", ")}`);
const missing = small.filter((f) => !seen.has(f));
if (missing.length > 0) throw new Error(`${input}: files not in the amalgamation: ${missing}`);

// A function's declaration starts at the beginning of a line (SQLite's style), and runs to the
// first ';' (a prototype) or '{' (a definition).
const declaration =
  /^(?:SQLITE_PRIVATE |SQLITE_API |static |SQLITE_NOINLINE )*[A-Za-z_][\w\s*]*?\b(\w+)\(/;
/** The name and last line of the declaration starting at line i, or null. */
function declared(i) {
  const m = declaration.exec(lines[i]);
  if (!m || lines[i].startsWith("#")) return null;
  for (let j = i; j < lines.length && j < i + 40; j++) {
    const semi = lines[j].indexOf(";");
    const brace = lines[j].indexOf("{");
    if (semi < 0 && brace < 0) continue;
    const definition = brace >= 0 && (semi < 0 || brace < semi);
    return { name: m[1], last: j, definition };
  }
  return null;
}

const definedElsewhere = new Set();
for (let i = 0; i < lines.length; i++) {
  if (inSmall[i]) continue;
  const d = declared(i);
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
  const d = inSmall[i] ? declared(i) : null;
  if (d && !d.definition && definedElsewhere.has(d.name)) {
    set(false);
    for (; i <= d.last; i++) out.push(lines[i]);
    i--;
    continue;
  }
  set(inSmall[i] && !begin.test(lines[i]));
  out.push(lines[i]);
}
set(false);
writeFileSync(output, out.join("\n"), "latin1");
