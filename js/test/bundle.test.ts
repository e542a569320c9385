// The browser bundles (js/dist/web, scripts/bundle.mjs): what a page loads must not ask for
// anything a browser or a user's bundler cannot resolve, and must find its worker and wasm.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const web = path.join(path.dirname(fileURLToPath(import.meta.url)), "../web");

describe("browser bundles", () => {
  for (const name of ["index.js", "sync.js", "worker.js", "broker.js"]) {
    it(`${name} imports no Node module and no other file`, () => {
      const code = readFileSync(path.join(web, name), "utf8");
      assert.doesNotMatch(code, /["']node:/);
      assert.doesNotMatch(code, /\bimport\s*\(?\s*["']\.{1,2}\//);
      assert.doesNotMatch(code, /\bfrom\s*["']/);
    });
  }

  it("index.js starts worker.js and broker.js, and the wasm sits beside them", () => {
    const index = readFileSync(path.join(web, "index.js"), "utf8");
    assert.match(index, /["']\.\/worker\.js["']/);
    assert.match(index, /["']\.\/broker\.js["']/);
    assert.ok(existsSync(path.join(web, "broker.js")));
    assert.match(readFileSync(path.join(web, "worker.js"), "utf8"), /["']\.\/web-sqlite\.wasm["']/);
    assert.ok(existsSync(path.join(web, "web-sqlite.wasm")));
  });
});
