// Every export is a promise to users: each entry of the package exports exactly the names
// docs/API.md lists under "Exports", values and types, and nothing else.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

import ts from "typescript";

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), "../../..");

/** The entries of package.json, each with the source its types are built from. */
function entries(): Map<string, string> {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
    name: string;
    exports: Record<string, string | { types?: string }>;
  };
  const out = new Map<string, string>();
  for (const [key, target] of Object.entries(pkg.exports)) {
    const types = typeof target === "object" ? target.types : undefined;
    if (!types) continue; // the wasm, package.json
    const source = types.replace("./js/dist/src/", "js/src/").replace(/\.d\.ts$/, ".ts");
    out.set(key === "." ? pkg.name : `${pkg.name}/${key.slice(2)}`, path.join(ROOT, source));
  }
  return out;
}

/** What docs/API.md's "Exports" table lists for each entry: its values and its types. */
function documented(): Map<string, { values: string[]; types: string[] }> {
  const api = readFileSync(path.join(ROOT, "docs/API.md"), "utf8");
  const section = api.slice(
    api.indexOf("\n## Exports\n"),
    api.indexOf("\n## ", api.indexOf("\n## Exports\n") + 1),
  );
  const names = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]).sort();
  const out = new Map<string, { values: string[]; types: string[] }>();
  for (const line of section.split("\n")) {
    const cells = line.split("|").map((c) => c.trim());
    const entry = /^`(web-sqlite[^`]*)`$/.exec(cells[1] ?? "")?.[1];
    if (entry) out.set(entry, { values: names(cells[2]), types: names(cells[3]) });
  }
  return out;
}

/** The names a module exports, values (anything at run time) apart from types only. */
function exported(program: ts.Program, file: string): { values: string[]; types: string[] } {
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file)!;
  const module = checker.getSymbolAtLocation(source)!;
  const values: string[] = [];
  const types: string[] = [];
  for (const symbol of checker.getExportsOfModule(module)) {
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    const isValue = (target.flags & ts.SymbolFlags.Value) !== 0 && !isTypeOnly(symbol);
    (isValue ? values : types).push(symbol.name);
  }
  return { values: values.sort(), types: types.sort() };
}

/** Whether an export is written `export type` (a class exported so is a type only). */
function isTypeOnly(symbol: ts.Symbol): boolean {
  return (symbol.declarations ?? []).some(
    (d) => ts.isExportSpecifier(d) && (d.isTypeOnly || d.parent.parent.isTypeOnly),
  );
}

describe("the package's exports", () => {
  const files = entries();
  const docs = documented();
  const program = ts.createProgram([...files.values()], {
    module: ts.ModuleKind.ES2022,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    target: ts.ScriptTarget.ES2022,
    lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
    types: ["node"],
    skipLibCheck: true,
  });

  it("documents every entry and no other", () => {
    assert.deepEqual([...docs.keys()].sort(), [...files.keys()].sort());
  });

  for (const [entry, file] of files) {
    it(`${entry} exports what docs/API.md lists, and nothing else`, () => {
      assert.deepEqual(exported(program, file), docs.get(entry));
    });
  }
});
