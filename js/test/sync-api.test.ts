// The synchronous API in Node, on real files: the shared suite (suites/sync-api.ts), also run
// in a Chromium worker on OPFS by e2e/sync-api.test.mjs.
import * as fs from "node:fs";
import * as path from "node:path";
import { after, describe, it } from "node:test";

import assert from "node:assert/strict";

import * as sync from "../src/sync.js";
import { Database, JsStorageDb } from "../src/sync.js";
import { tempDir } from "./helpers.js";
import { cases, KEYLESS, keyed } from "./suites/sync-api.js";

describe("synchronous API (Node, files)", () => {
  const dir = tempDir();
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const [name, run] of cases) {
    it(name, () => run({ sync, storage: "file", name: (base) => path.join(dir, base) }));
  }

  describe("the suite again, every database keyed", () => {
    const library = keyed(sync, "a key for the whole suite");
    for (const [name, run] of cases) {
      it(name, { skip: KEYLESS.get(name) ?? false }, () =>
        run({ sync: library, storage: "file", name: (base) => path.join(dir, `keyed-${base}`) }),
      );
    }
  });

  it("opens memory and file databases synchronously once the wasm is loaded", async () => {
    await Database.ready();
    const mem = new Database("sync-memory", { storage: "memory" });
    mem.exec("CREATE TABLE t(v); INSERT INTO t VALUES (1)");
    assert.equal(mem.selectValue("SELECT v FROM t"), 1);
    const file = new Database(path.join(dir, "sync.db"));
    file.exec("CREATE TABLE IF NOT EXISTS t(v); INSERT INTO t VALUES ('on disk')");
    assert.equal(file.storage, "file");
    assert.ok(fs.existsSync(path.join(dir, "sync.db")), "a real file");
    mem.close();
    file.close();
    assert.throws(() => new Database("x.db", { storage: "opfs" }), /Database\.open/);
  });

  it("says that JsStorageDb needs Web Storage, which Node does not have", async () => {
    await Database.ready();
    assert.throws(
      () => new JsStorageDb("local"),
      (e: Error & { code?: string }) => e.code === "UNSUPPORTED" && /Web Storage/.test(e.message),
    );
  });
});
