// Encryption is SQLite3 Multiple Ciphers' own format: a database encrypted by web-sqlite (Node,
// the synchronous API and the Promise API) opens in better-sqlite3-multiple-ciphers with its
// default settings and `PRAGMA key`, and a database it encrypted opens in web-sqlite with the key.
// better-sqlite3-multiple-ciphers 12.11.1 (SQLite3MC 2.3.5, the same default ChaCha20-Poly1305
// format) is built from source by setup.sh's npm ci, against the Node headers of this machine.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";

import { open, shutdown } from "../js/dist/src/index.js";
import { Database } from "../js/dist/src/sync.js";

const Native = createRequire(import.meta.url)("better-sqlite3-multiple-ciphers");

const dir = mkdtempSync(path.join(tmpdir(), "wsq-interop-"));
const file = (name) => path.join(dir, name);
const MARKER = "interop-marker-93b1";
const RAW = new Uint8Array(32).map((_, i) => (i * 37 + 11) & 0xff);
const RAW_HEX = Buffer.from(RAW).toString("hex");

after(() => {
  shutdown();
  rmSync(dir, { recursive: true, force: true });
});

/** better-sqlite3-multiple-ciphers on path with a key pragma; its rows of sql. */
function nativeRows(path, keyPragma, sql) {
  const db = new Native(path);
  try {
    db.pragma(keyPragma);
    return db.prepare(sql).all();
  } finally {
    db.close();
  }
}

describe("encryption interoperates with better-sqlite3-multiple-ciphers", () => {
  it("opens what web-sqlite encrypted with a passphrase (in WAL mode, the default)", async () => {
    const db = await Database.open(file("ours.db"), { key: "a passphrase" });
    db.exec("CREATE TABLE t(v TEXT); INSERT INTO t VALUES (?)", { bind: [MARKER] });
    await db.closeAsync();
    assert.ok(!readFileSync(file("ours.db")).includes(MARKER), "encrypted at rest");
    assert.deepEqual(nativeRows(file("ours.db"), "key = 'a passphrase'", "SELECT v FROM t"), [
      { v: MARKER },
    ]);
    assert.throws(() => nativeRows(file("ours.db"), "key = 'wrong'", "SELECT v FROM t"));
  });

  it("opens what web-sqlite encrypted with raw key bytes, and what its rekey encrypted", async () => {
    const db = await open(file("raw.db"), { key: RAW });
    await db.exec("CREATE TABLE t(v TEXT); INSERT INTO t VALUES (?)", [MARKER]);
    await db.close();
    assert.deepEqual(nativeRows(file("raw.db"), `key = "x'${RAW_HEX}'"`, "SELECT v FROM t"), [
      { v: MARKER },
    ]);
    const plain = await open(file("rekeyed.db"));
    await plain.exec("CREATE TABLE t(v TEXT); INSERT INTO t VALUES (?)", [MARKER]);
    await plain.rekey("set later");
    await plain.close();
    assert.deepEqual(nativeRows(file("rekeyed.db"), "key = 'set later'", "SELECT v FROM t"), [
      { v: MARKER },
    ]);
  });

  it("opens in web-sqlite what better-sqlite3-multiple-ciphers encrypted", async () => {
    const native = new Native(file("theirs.db"));
    native.pragma("key = 'their passphrase'");
    native.pragma("journal_mode = WAL");
    native.exec("CREATE TABLE t(v TEXT)");
    native.prepare("INSERT INTO t VALUES (?)").run(MARKER);
    native.close();
    assert.ok(!readFileSync(file("theirs.db")).includes(MARKER), "encrypted at rest");
    const db = await open(file("theirs.db"), { key: "their passphrase" });
    assert.deepEqual(await db.query("SELECT v FROM t"), [{ v: MARKER }]);
    await db.close();
    await assert.rejects(open(file("theirs.db"), { key: "wrong" }), (e) => e.code === "WRONG_KEY");
    await assert.rejects(open(file("theirs.db")), (e) => e.code === "KEY_REQUIRED");
  });
});
