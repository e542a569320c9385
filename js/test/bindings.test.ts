// The synchronous bindings over the real wasm in Node: scripts, statements, errors, storage,
// memory growth, the log, and what happens when the instance traps.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { before, describe, it } from "node:test";

import { Connection, VFS } from "../src/bindings/connection.js";
import { SQLiteError, WebSqliteError } from "../src/errors.js";
import { ResultCode } from "../src/generated/constants.js";
import { pathToFileURL } from "node:url";
import { defaultWasmUrl } from "../src/platform.js";
import { type Runtime, loadRuntime } from "../src/runtime/runtime.js";
import { memoryDb, runtime, tempDir } from "./helpers.js";

describe("connection", () => {
  let rt: Runtime;
  let logs: [number, string][];
  before(async () => {
    ({ rt, logs } = await runtime());
  });

  it("runs multi-statement scripts and reports changes and 64-bit rowids", () => {
    const db = memoryDb(rt);
    const r = db.exec(
      "CREATE TABLE t(id INTEGER PRIMARY KEY, v); INSERT INTO t VALUES (9007199254740993, 'a');" +
        "INSERT INTO t(v) VALUES ('b'); UPDATE t SET v = upper(v); SELECT v FROM t ORDER BY id",
      null,
      { rows: true },
    );
    assert.deepEqual(r.columns, ["v"]);
    assert.deepEqual(r.rows, [["A"], ["B"]]);
    assert.equal(r.changes, 4);
    assert.equal(r.lastInsertRowid, 9007199254740994n);
    assert.deepEqual(db.state(), {
      changes: 2,
      lastInsertRowid: 9007199254740994n,
      autocommit: true,
    });
    db.close();
  });

  it("binds by position and by every kind of name", () => {
    const db = memoryDb(rt);
    assert.deepEqual(db.exec("SELECT ?2, ?1", [1, 2], { rows: true }).rows, [[2, 1]]);
    assert.deepEqual(db.exec("SELECT :a, @b, $c", { a: 1, b: 2, c: 3 }, { rows: true }).rows, [
      [1, 2, 3],
    ]);
    assert.deepEqual(db.exec("SELECT :a + :a", { ":a": 4 }, { rows: true }).rows, [[8]]);
    db.close();
  });

  it("reports parameter mistakes as SQLITE_RANGE", () => {
    const db = memoryDb(rt);
    assert.throws(() => db.exec("SELECT ?, ?", [1]), {
      code: "SQLITE_RANGE",
      message: /2 parameter\(s\) but 1/,
    });
    assert.throws(() => db.exec("SELECT :a", { b: 1 }), {
      code: "SQLITE_RANGE",
      message: /no parameter named 'b'/,
    });
    assert.throws(() => db.exec("SELECT :a, :b", { a: 1 }), {
      code: "SQLITE_RANGE",
      message: /missing value for parameter :b/,
    });
    assert.throws(() => db.exec("SELECT 1", [1]), {
      code: "SQLITE_RANGE",
      message: /no parameters/,
    });
    db.close();
  });

  it("gives typed errors with extended codes, names and offsets in UTF-16 units", () => {
    const db = memoryDb(rt);
    db.exec("CREATE TABLE t(a UNIQUE); INSERT INTO t VALUES (1)");
    assert.throws(
      () => db.exec("INSERT INTO t VALUES (1)"),
      (e: unknown) =>
        e instanceof SQLiteError &&
        e.code === "SQLITE_CONSTRAINT_UNIQUE" &&
        e.resultCode === ResultCode.SQLITE_CONSTRAINT_UNIQUE &&
        e.message === "UNIQUE constraint failed: t.a",
    );
    // The offset points at the bad token even after multi-byte characters.
    const sql = "SELECT '😀é'; SELECT * FORM t";
    assert.throws(
      () => db.exec(sql),
      (e: unknown) => e instanceof SQLiteError && e.offset === sql.indexOf("FORM"),
    );
    // The database is intact and usable.
    assert.deepEqual(db.exec("SELECT count(*) FROM t", null, { rows: true }).rows, [[1]]);
    db.close();
  });

  it("routes SQLite's log to the callback", () => {
    const db = memoryDb(rt);
    const before = logs.length;
    assert.throws(() => db.exec("SELECT * FROM no_such_table"));
    assert.ok(
      logs
        .slice(before)
        .some(([code, m]) => code === ResultCode.SQLITE_ERROR && m.includes("no such table")),
      JSON.stringify(logs.slice(before)),
    );
    db.close();
  });

  it("prepares statements that step in chunks, reset, rebind and finalize", () => {
    const db = memoryDb(rt);
    db.exec(
      "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL " +
        "SELECT i + 1 FROM n WHERE i < 25) INSERT INTO t SELECT i, 'n' || i FROM n",
    );
    const stmt = db.prepare("SELECT id, name AS label FROM t WHERE id > ? ORDER BY id")!;
    assert.deepEqual(stmt.columns(), {
      names: ["id", "label"],
      declaredTypes: ["INTEGER", "TEXT"],
    });
    stmt.bind([5]);
    const ids: unknown[] = [];
    let chunk;
    do {
      chunk = stmt.step(7);
      assert.deepEqual(chunk.columns, ["id", "label"]);
      ids.push(...chunk.rows.map((r) => r[0]));
    } while (chunk.more);
    assert.equal(ids.length, 20);
    assert.equal(ids[0], 6);
    stmt.reset();
    assert.equal(stmt.step(100).rows.length, 20, "bindings survive reset");
    stmt.reset().clearBindings();
    assert.throws(() => stmt.bind([1, 2]), { code: "SQLITE_RANGE" });
    const insert = db.prepare("INSERT INTO t(name) VALUES (?)")!;
    const inserted = insert.run(["x"]);
    assert.deepEqual([inserted.changes, inserted.lastInsertRowid, inserted.rows], [1, 26, []]);
    insert.finalize();
    insert.finalize();
    assert.throws(() => insert.run(["y"]), { code: "SQLITE_MISUSE", message: /finalized/ });
    assert.equal(db.prepare("  -- nothing here"), null);
    db.close();
    assert.throws(() => stmt.step(), { code: "SQLITE_MISUSE", message: /is closed/ });
    assert.throws(() => db.exec("SELECT 1"), { code: "SQLITE_MISUSE", message: /is closed/ });
  });

  it("stores file databases through node:fs as real SQLite files", () => {
    const dir = tempDir();
    const file = path.join(dir, "app.db");
    const a = Connection.open(rt, file);
    a.exec("CREATE TABLE t(v); INSERT INTO t VALUES ('persisted')");
    a.close();
    assert.equal(fs.readFileSync(file).subarray(0, 16).toString("latin1"), "SQLite format 3\0");
    assert.equal(fs.existsSync(`${file}-journal`), false);
    const b = Connection.open(rt, file);
    assert.deepEqual(b.exec("SELECT v FROM t", null, { rows: true }).rows, [["persisted"]]);
    // A second connection to the same file sees the lock of the first.
    const c = Connection.open(rt, file);
    b.exec("BEGIN IMMEDIATE; INSERT INTO t VALUES ('pending')");
    assert.throws(() => c.exec("INSERT INTO t VALUES ('blocked')"), { code: "SQLITE_BUSY" });
    b.exec("COMMIT");
    assert.deepEqual(c.exec("SELECT count(*) FROM t", null, { rows: true }).rows, [[2]]);
    b.close();
    c.close();
    fs.rmSync(dir, { recursive: true });
  });

  it("reports a missing file opened read-only as SQLITE_CANTOPEN", () => {
    const dir = tempDir();
    assert.throws(() => Connection.open(rt, path.join(dir, "missing.db"), { flags: 1 }), {
      code: "SQLITE_CANTOPEN",
    });
    fs.rmSync(dir, { recursive: true });
  });

  it("keeps memory databases by name until deleted", () => {
    const a = Connection.open(rt, "named-memory.db", { vfs: VFS.memory });
    a.exec("CREATE TABLE t(v); INSERT INTO t VALUES (1)");
    a.close();
    const b = Connection.open(rt, "named-memory.db", { vfs: VFS.memory });
    assert.deepEqual(b.exec("SELECT v FROM t", null, { rows: true }).rows, [[1]]);
    b.close();
  });

  it("matches LIKE '%c…%' as a character-by-character search does, at every length and place", () => {
    // LIKE's search for the character after a '%' runs eight bytes at a time in wasm
    // (core/src/sqlite/amalgamation.c): strings of every length to 39 with the character sought
    // at every place (so at every byte of the first eight-byte words and of the ones after), in
    // either case, among ASCII and among characters of two to four bytes in UTF-8 (bytes of
    // 0x80 and above, which a word's test must not take for the one sought), against a plain
    // search in JS.
    const db = memoryDb(rt);
    const alphabets = [
      [..."abcdefghijklmnoprstuvwxyz0123456789-_. "],
      [..."éñöÿ€😀𝄞äüßçøåæœ™©®±µ¶·¹²³¼½¾¿ÀÁÂÃÄÅÆÇÈÉ"],
    ];
    const strings: string[] = [];
    for (const alphabet of alphabets) {
      for (let n = 0; n <= alphabet.length; n++) {
        const base = alphabet.slice(0, n);
        strings.push(base.join(""));
        for (let at = 0; at < n; at++) {
          for (const c of ["q", "Q", "qz"]) {
            strings.push([...base.slice(0, at), c, ...base.slice(at + 1)].join(""));
          }
        }
      }
    }
    db.exec(`CREATE TABLE s(v TEXT); INSERT INTO s VALUES ${strings.map((v) => `('${v}')`)}`);
    for (const pattern of ["%q%", "%qz%", "%Q", "q%", "%z%q%", "%q%z%"]) {
      const { rows } = db.exec("SELECT v FROM s WHERE v LIKE ? ORDER BY rowid", [pattern], {
        rows: true,
      });
      const like = new RegExp(`^${pattern.replace(/%/g, "[^]*")}$`, "i");
      assert.deepEqual(
        rows.map((r) => r[0]),
        strings.filter((v) => like.test(v)),
        pattern,
      );
    }
    db.close();
  });

  it("returns large results correctly after wasm memory grows", () => {
    const db = memoryDb(rt);
    const before = rt.exports.memory.buffer.byteLength;
    const r = db.exec(
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000) " +
        "SELECT i, printf('%0100d', i) FROM n",
      null,
      { rows: true },
    );
    assert.ok(rt.exports.memory.buffer.byteLength > before, "memory grew");
    assert.equal(r.rows.length, 200000);
    assert.deepEqual(r.rows[199999], [200000, "200000".padStart(100, "0")]);
    db.close();
  });
});

describe("runtime", () => {
  it("reports the SQLite version it was built from", async () => {
    const { rt } = await runtime();
    assert.equal(rt.sqliteVersion, "3.54.1");
  });

  it("names the stage that failed to load", async () => {
    await assert.rejects(loadRuntime({ wasm: new URL("file:///nonexistent/web-sqlite.wasm") }), {
      code: "LOAD_FAILED",
      message: /stage 'fetch'/,
    });
    await assert.rejects(loadRuntime({ wasm: new Uint8Array([0, 97, 115, 109, 9, 9, 9, 9]) }), {
      code: "LOAD_FAILED",
      message: /stage 'compile'/,
    });
    const bytes = fs.readFileSync(defaultWasmUrl());
    await assert.rejects(loadRuntime({ wasm: bytes.subarray(0, bytes.length / 2) }), {
      code: "LOAD_FAILED",
    });
  });

  it("says which file is not the wasm, and what it holds instead", async () => {
    const dir = tempDir();
    const page = path.join(dir, "web-sqlite.wasm");
    fs.writeFileSync(page, "<!doctype html>\n<html><body>the app</body></html>");
    try {
      await assert.rejects(loadRuntime({ wasm: pathToFileURL(page) }), {
        code: "LOAD_FAILED",
        message:
          `web-sqlite failed to load at stage 'fetch': ${pathToFileURL(page)} is not the wasm: ` +
          `got no Content-Type, starting "<!doctype html> <html><b": the file holds a ` +
          `page, not the wasm. Is web-sqlite.wasm deployed there? (docs/API.md, ` +
          `"Loading in a browser")`,
      });
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
  });

  it("accepts a compiled module", async () => {
    const module = await WebAssembly.compile(fs.readFileSync(defaultWasmUrl()));
    const rt = await loadRuntime({ wasm: module, log: () => {} });
    assert.deepEqual(memoryDb(rt).exec("SELECT 6 * 7", null, { rows: true }).rows, [[42]]);
  });

  it("turns a host that throws into an I/O error, not a crash", async () => {
    const { NodeFileSystem } = await import("../src/runtime/hosts/node-fs.js");
    const host = new NodeFileSystem();
    let failSync = false;
    host.sync = function (fd: number, flags: number) {
      if (failSync) throw new Error("disk on fire");
      return NodeFileSystem.prototype.sync.call(this, fd, flags);
    };
    const rt = await loadRuntime({ host, log: () => {} });
    const dir = tempDir();
    const db = Connection.open(rt, path.join(dir, "t.db"));
    db.exec("CREATE TABLE t(v); INSERT INTO t VALUES (1)");
    failSync = true;
    assert.throws(() => db.exec("INSERT INTO t VALUES (2)"), { code: "SQLITE_IOERR_FSYNC" });
    failSync = false;
    assert.deepEqual(db.exec("SELECT group_concat(v) FROM t", null, { rows: true }).rows, [["1"]]);
    assert.equal(rt.dead, null);
    db.close();
    fs.rmSync(dir, { recursive: true });
  });

  it("marks the instance dead after a trap: every later call says so", async () => {
    const { rt } = await runtime();
    const db = memoryDb(rt);
    const other = memoryDb(rt);
    // An out-of-bounds SQL pointer makes the core read outside wasm memory: a real trap.
    assert.throws(
      () => rt.invoke((x) => x.wsq_exec(db.connectionHandle(), 0xfffffff0, 64, 0, 0, 0)),
      (e: unknown) =>
        e instanceof WebSqliteError && e.code === "INSTANCE_DEAD" && /crashed/.test(e.message),
    );
    assert.ok(rt.dead);
    assert.throws(() => db.exec("SELECT 1"), { code: "INSTANCE_DEAD" });
    assert.throws(() => other.exec("SELECT 1"), { code: "INSTANCE_DEAD" });
    // A new instance works.
    const { rt: fresh } = await runtime();
    assert.deepEqual(memoryDb(fresh).exec("SELECT 1", null, { rows: true }).rows, [[1]]);
  });
});
