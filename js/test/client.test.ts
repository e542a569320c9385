// The Promise API in Node: a worker_threads worker running the real wasm over real files.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, describe, it } from "node:test";

import { SQLiteError, WebSqliteError, open, shutdown } from "../src/index.js";
import { Dispatcher } from "../src/worker/dispatcher.js";
import { HANDLERS } from "../src/worker/handlers.js";
import { PROTOCOL_VERSION } from "../src/worker/protocol.js";
import { portOfStream, streamOfPort } from "../src/worker/stream-port.js";
import { threadStores } from "../src/platform.js";
import { loadRuntime } from "../src/runtime/runtime.js";
import { tempDir } from "./helpers.js";

const quiet = { log: () => {} };

describe("open() in Node", () => {
  const dir = tempDir();
  after(() => {
    shutdown();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("creates a real file and runs exec, query, queryArrays", async () => {
    const file = path.join(dir, "app.db");
    const db = await open(file, quiet);
    assert.equal(db.path, file);
    assert.equal(db.sqliteVersion, "3.54.1");
    await db.exec("CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT, avatar BLOB)");
    const r = await db.exec("INSERT INTO users(name, avatar) VALUES (?, ?), (?, NULL)", [
      "ada",
      new Uint8Array([1, 2]),
      "bob",
    ]);
    assert.deepEqual(r, { changes: 2, lastInsertRowid: 2 });
    assert.deepEqual(await db.query("SELECT * FROM users ORDER BY id"), [
      { id: 1, name: "ada", avatar: new Uint8Array([1, 2]) },
      { id: 2, name: "bob", avatar: null },
    ]);
    assert.deepEqual(await db.queryArrays("SELECT name FROM users WHERE id = :id", { id: 2 }), {
      columns: ["name"],
      rows: [["bob"]],
    });
    await db.close();
    assert.equal(fs.readFileSync(file).subarray(0, 15).toString(), "SQLite format 3");
  });

  it("runs prepared statements with run, all and get", async () => {
    const db = await open(path.join(dir, "stmt.db"), quiet);
    await db.exec("CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT)");
    const insert = await db.prepare("INSERT INTO t(v) VALUES (?)");
    for (const v of ["a", "b", "c"]) await insert.run([v]);
    await insert.finalize();
    const select = await db.prepare("SELECT k, v FROM t WHERE k >= ? ORDER BY k");
    assert.deepEqual(select.columns, ["k", "v"]);
    assert.deepEqual(await select.all([2]), [
      { k: 2, v: "b" },
      { k: 3, v: "c" },
    ]);
    assert.deepEqual(await select.get([3]), { k: 3, v: "c" });
    assert.equal(await select.get([9]), undefined);
    await assert.rejects(select.all(), { code: "SQLITE_RANGE", message: /1 parameter\(s\) but 0/ });
    await select.finalize();
    await assert.rejects(select.all([1]), { code: "SQLITE_MISUSE", message: /finalized/ });
    await db.close();
  });

  it("rejects with typed errors that keep code, offset and the caller's stack", async () => {
    const db = await open(path.join(dir, "errors.db"), quiet);
    await db.exec("CREATE TABLE t(a UNIQUE); INSERT INTO t VALUES (1)");
    const error = await db.exec("INSERT INTO t VALUES (1)").catch((e: unknown) => e);
    assert.ok(error instanceof SQLiteError);
    assert.equal(error.code, "SQLITE_CONSTRAINT_UNIQUE");
    assert.equal(error.resultCode, 2067);
    assert.match(error.stack ?? "", /client\.test\.js/);
    const syntax = await db.exec("SELECT 1 FROM t WHERE").catch((e: unknown) => e);
    assert.ok(syntax instanceof SQLiteError && syntax.code === "SQLITE_ERROR");
    await assert.rejects(db.exec("SELECT ?", [undefined as never]), {
      name: "TypeError",
      message: /parameter 1/,
    });
    assert.deepEqual(await db.query("SELECT count(*) AS n FROM t"), [{ n: 1 }]);
    await db.close();
    await assert.rejects(db.query("SELECT 1"), { code: "SQLITE_MISUSE", message: /is closed/ });
    await db.close();
  });

  it("serves several databases from one worker, in memory too", async () => {
    const a = await open("shared-a.db", { storage: "memory", ...quiet });
    const b = await open(path.join(dir, "b.db"), quiet);
    await Promise.all([
      a.exec("CREATE TABLE t(v); INSERT INTO t VALUES ('a')"),
      b.exec("CREATE TABLE t(v); INSERT INTO t VALUES ('b')"),
    ]);
    const [ra, rb] = await Promise.all([a.query("SELECT v FROM t"), b.query("SELECT v FROM t")]);
    assert.deepEqual([ra, rb], [[{ v: "a" }], [{ v: "b" }]]);
    await Promise.all([a.close(), b.close()]);
  });

  it("rejects pending calls when the worker stops, and a new open works", async () => {
    const file = path.join(dir, "restart.db");
    const db = await open(file, quiet);
    await db.exec("CREATE TABLE t(v); INSERT INTO t VALUES ('committed')");
    const pending = db.query(
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 3000000) SELECT count(*) FROM n",
    );
    shutdown();
    await assert.rejects(
      pending,
      (e: unknown) => e instanceof WebSqliteError && e.code === "WORKER_DIED",
    );
    assert.equal(db.isOpen, false);
    const again = await open(file, quiet);
    assert.deepEqual(await again.query("SELECT v FROM t"), [{ v: "committed" }]);
    await again.close();
  });
});

describe("worker dispatcher", () => {
  it("answers malformed messages with an error and keeps serving", async () => {
    const dispatcher = new Dispatcher({
      handlers: HANDLERS,
      stores: threadStores(),
      load: (host) => loadRuntime({ host, log: () => {} }),
    });
    const bad = [
      null,
      42,
      { v: 1, id: 1, type: "open", args: {} },
      { v: PROTOCOL_VERSION, id: 2, type: "drop_everything", args: {} },
      {
        v: PROTOCOL_VERSION,
        id: 3,
        type: "exec",
        args: { db: 1, sql: 7, params: null, rows: false, deadline: 0 },
      },
      {
        v: PROTOCOL_VERSION,
        id: 4,
        type: "exec",
        args: { db: 1, sql: "SELECT 1", params: [1, 2], rows: false, deadline: 0 },
      },
      {
        v: PROTOCOL_VERSION,
        id: 5,
        type: "exec",
        args: { db: 1, sql: "SELECT 1", params: null, rows: false },
      },
      {
        v: PROTOCOL_VERSION,
        id: 6,
        type: "open",
        args: { name: "x", storage: "disk", durability: "full" },
      },
      {
        v: PROTOCOL_VERSION,
        id: 7,
        type: "batch",
        args: { db: 1, items: [{ sql: "SELECT 1", params: null }, { sql: 2 }], deadline: 0 },
      },
    ];
    const messages = [];
    for (const message of bad) {
      const { response } = await dispatcher.handle(message);
      assert.equal(response.ok, false, JSON.stringify(message));
      if (!response.ok) assert.match(response.error.message, /malformed request/);
      if (!response.ok) messages.push(response.error.message);
    }
    // The message names the field that was wrong, wherever it sits.
    assert.match(messages.at(-1)!, /'items\[1\]\.sql' must be a string/);
    assert.match(messages.at(-2)!, /'storage' must be one of "opfs", "idb", "file", "memory"/);
    const opened = await dispatcher.handle({
      v: PROTOCOL_VERSION,
      id: 8,
      type: "open",
      args: {
        name: "d.db",
        storage: "memory",
        durability: "full",
        busyTimeoutMs: null,
        shared: false,
      },
    });
    assert.ok(opened.response.ok);
    const db = (opened.response as { result: { db: number } }).result.db;
    const { response, transfer } = await dispatcher.handle({
      v: PROTOCOL_VERSION,
      id: 6,
      type: "exec",
      args: { db, sql: "SELECT 1", params: null, rows: true, deadline: 0 },
    });
    assert.ok(response.ok);
    assert.equal(response.id, 6);
    assert.equal(transfer.length, 1, "the result buffer is transferred");
    const unknown = await dispatcher.handle({
      v: PROTOCOL_VERSION,
      id: 7,
      type: "exec",
      args: { db: 999, sql: "SELECT 1", params: null, rows: false, deadline: 0 },
    });
    assert.ok(!unknown.response.ok && unknown.response.error.code === "SQLITE_MISUSE");
  });
});

describe("a stream served over a port (importDatabase where streams cannot be transferred)", () => {
  it("reads the source only as the reader pulls, at most a few chunks ahead", async () => {
    let produced = 0;
    const source = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          if (produced === 100) return controller.close();
          controller.enqueue(new Uint8Array(1000).fill(produced++));
        },
      },
      { highWaterMark: 0 },
    );
    const reader = streamOfPort(portOfStream(source)).getReader();
    let consumed = 0;
    let bytes = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      assert.equal(value[0], consumed, "in order");
      consumed++;
      bytes += value.length;
      // Back-pressure: the source is never far ahead of the reader.
      assert.ok(produced <= consumed + 5, `${produced} produced for ${consumed} read`);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    assert.equal(consumed, 100);
    assert.equal(bytes, 100_000);
  });

  it("passes the source's error on, and a cancel back to the source", async () => {
    const failing = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.error(new TypeError("no more bytes"));
      },
    });
    await assert.rejects(
      streamOfPort(portOfStream(failing)).getReader().read(),
      /the stream failed: TypeError: no more bytes/,
    );
    let cancelled: unknown = null;
    const endless = new ReadableStream<Uint8Array>({
      pull: (controller) => controller.enqueue(new Uint8Array(10)),
      cancel: (reason) => {
        cancelled = reason ?? "cancelled";
      },
    });
    const remote = streamOfPort(portOfStream(endless));
    const reader = remote.getReader();
    await reader.read();
    await reader.cancel();
    for (let i = 0; i < 1000 && cancelled === null; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.notEqual(cancelled, null, "the source was cancelled");
  });
});
