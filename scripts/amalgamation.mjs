// Reading SQLite's amalgamation: the source file each of its lines was pasted from (its "Begin
// file X" / "End of X" markers), and the functions declared and defined in it. For
// scripts/tier-sqlite.mjs (the size tier) and bench/wasm-sizes.mjs (where a wasm's bytes are).
import { readFileSync } from "node:fs";

export const BEGIN = /^\/\*{14} Begin file (\S+) \*+\/$/;
const END = /^\/\*{14} End of (\S+) \*+\/$/;

/** The lines of sqlite3.c (read as latin1, so that every byte survives a rewrite). */
export function readLines(path) {
  return readFileSync(path, "latin1").split("\n");
}

/**
 * The file each line belongs to (the innermost one pasted there, markers included; null outside
 * every file), and the files seen. Throws where the markers do not nest.
 */
export function fileOfLines(lines, path) {
  const fileAt = new Array(lines.length).fill(null);
  const seen = new Set();
  const open = [];
  lines.forEach((line, i) => {
    let m = BEGIN.exec(line);
    if (m) {
      seen.add(m[1]);
      open.push(m[1]);
    }
    fileAt[i] = open.at(-1) ?? null;
    m = END.exec(line);
    if (m && open.pop() !== m[1]) {
      throw new Error(`${path}: "End of ${m[1]}" does not close the last file`);
    }
  });
  if (open.length > 0) throw new Error(`${path}: files left open: ${open.join(", ")}`);
  return { fileAt, seen };
}

// A function's declaration starts at the beginning of a line (SQLite's style), and runs to the
// first ';' (a prototype) or '{' (a definition).
const DECLARATION =
  /^(?:SQLITE_PRIVATE |SQLITE_API |static |SQLITE_NOINLINE )*[A-Za-z_][\w\s*]*?\b(\w+)\(/;

/** The name and last line of the declaration starting at line i, and whether it defines; or null. */
export function declared(lines, i) {
  const m = DECLARATION.exec(lines[i]);
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
