// The browser bundles (js/dist/web, scripts/bundle.mjs): what a page loads must not ask for
// anything a browser or a user's bundler cannot resolve, and must name its worker, its broker and
// its wasm the one way bundlers follow (e2e/bundlers.test.mjs builds real apps with them).
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const web = path.join(path.dirname(fileURLToPath(import.meta.url)), "../web");
const read = (name: string) => readFileSync(path.join(web, name), "utf8");

const WORKER =
  'new Worker(new URL("./worker.js",import.meta.url),{type:"module",name:"web-sqlite"})';
const BROKER =
  'new SharedWorker(new URL("./broker.js",import.meta.url),{type:"module",name:"web-sqlite-broker"})';
const WASM = 'new URL("./web-sqlite.wasm",import.meta.url)';
/** The encryption build, which bundlers emit too (an app downloads it only to open a key). */
const CIPHER_WASM = 'new URL("./web-sqlite-cipher.wasm",import.meta.url)';

/** How often needle occurs in haystack. */
const count = (haystack: string, needle: string) => haystack.split(needle).length - 1;

describe("browser bundles", () => {
  for (const name of ["index.js", "sync.js", "worker.js", "broker.js"]) {
    it(`${name} imports no Node module and no other file`, () => {
      const code = read(name);
      assert.doesNotMatch(code, /["']node:/);
      assert.doesNotMatch(code, /\bimport\s*\(?\s*["']\.{1,2}\//);
      assert.doesNotMatch(code, /\bfrom\s*["']/);
    });
  }

  it("index.js starts worker.js and broker.js, and names both wasms, as bundlers follow them", () => {
    const index = read("index.js");
    assert.equal(count(index, WORKER), 1);
    assert.equal(count(index, BROKER), 1);
    assert.equal(count(index, WASM), 1);
    assert.equal(count(index, CIPHER_WASM), 1);
    // Any other use of import.meta.url would be rewritten (webpack: to a path on the build machine).
    assert.equal(count(index, "import.meta.url"), 4);
    for (const file of ["worker.js", "broker.js", "web-sqlite.wasm", "web-sqlite-cipher.wasm"]) {
      assert.ok(existsSync(path.join(web, file)), file);
    }
  });

  it("sync.js names only the wasms (no worker of its own in an app's worker bundle)", () => {
    const sync = read("sync.js");
    assert.equal(count(sync, WASM), 1);
    assert.equal(count(sync, CIPHER_WASM), 1);
    assert.equal(count(sync, "import.meta.url"), 2);
  });
});
