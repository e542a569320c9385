// The shape of js/src: no module reaches itself again through its imports (type imports
// included: a loop of types is a loop of ideas), and no file grows past what a reader takes in.
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

import ts from "typescript";

const SRC = path.join(path.dirname(fileURLToPath(import.meta.url)), "../../src");
const MAX_LINES = 600;

/** Every TypeScript file under js/src, by its path relative to it. */
function sources(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(full);
    return entry.name.endsWith(".ts") ? [path.relative(SRC, full)] : [];
  });
}

/**
 * The modules of js/src each file imports (import, import type, export … from, import()). A
 * module with a sibling `.browser.ts` stands for both: the browser bundles take that one in its
 * place (scripts/bundle.mjs).
 */
function importGraph(files: string[]): Map<string, string[]> {
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const info = ts.preProcessFile(readFileSync(path.join(SRC, file), "utf8"), true, true);
    const targets = info.importedFiles
      .map((f) => f.fileName)
      .filter((name) => name.startsWith("."))
      .flatMap((name) => {
        const target = path.join(path.dirname(file), name).replace(/\.js$/, ".ts");
        // (A file may name itself in a type: platform.browser.ts checks its own shape.)
        return [target, target.replace(/\.ts$/, ".browser.ts")].filter(
          (t) => known.has(t) && t !== file,
        );
      });
    graph.set(file, targets);
  }
  return graph;
}

/** The import loops of graph, each as its files (Tarjan's strongly connected parts). */
function loops(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)!) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const part: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        part.push(w);
      } while (w !== v);
      if (part.length > 1) found.push(part.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe("the layers of js/src", () => {
  const files = sources();

  it("has no import loop, type imports included", () => {
    const graph = importGraph(files);
    const found = loops(graph).map(
      (part) =>
        `${part.length} files: ` +
        part
          .map(
            (f) =>
              `${f} → ${graph
                .get(f)!
                .filter((t) => part.includes(t))
                .join(", ")}`,
          )
          .join("; "),
    );
    assert.deepEqual(found, []);
  });

  it("finds a loop when there is one (the check itself)", () => {
    const graph = new Map([
      ["a.ts", ["b.ts"]],
      ["b.ts", ["c.ts"]],
      ["c.ts", ["a.ts"]],
      ["d.ts", ["a.ts"]],
    ]);
    assert.deepEqual(loops(graph), [["a.ts", "b.ts", "c.ts"]]);
  });

  it(`has no file over ${MAX_LINES} lines`, () => {
    const long = files
      .map((f) => [f, readFileSync(path.join(SRC, f), "utf8").split("\n").length] as const)
      .filter(([, lines]) => lines > MAX_LINES)
      .map(([f, lines]) => `${f}: ${lines} lines`);
    assert.deepEqual(long, []);
  });
});
