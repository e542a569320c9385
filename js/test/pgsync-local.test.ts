// The device's side of sync with PostgreSQL (pgsync/local.ts) on a real database: the outbox
// the triggers write in the app's transaction, and server changes applied under pending writes
// (undo, apply, redo). The whole path, with a real Postgres, is e2e/pg-sync*.test.mjs.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";

import { Database } from "../src/sync.js";
import { LocalSide } from "../src/pgsync/local.js";
import type { Batch } from "../src/pgsync/wire.js";

let n = 0;
function device(): { db: Database; local: LocalSide } {
  const db = new Database(`pgsync-local-${n++}`, { storage: "memory" });
  db.exec("CREATE TABLE t (id TEXT PRIMARY KEY, a TEXT, b TEXT)");
  const local = new LocalSide(db, ["t"]);
  local.install(() => `client-${n}-xxxx`);
  return { db, local };
}

/** Applies server batches as the engine does: capture off. */
function apply(db: Database, local: LocalSide, batches: Batch[], pos = "1") {
  db.connection.capture(false);
  try {
    return local.rebase(batches, pos);
  } finally {
    db.connection.capture(true);
  }
}

const rows = (db: Database) => db.selectObjects("SELECT id, a, b FROM t ORDER BY id");
const upsert = (id: string, a: string, b: string): Batch => ({
  changes: [{ t: "t", op: "upsert", row: { id, a, b } }],
});
const remove = (id: string): Batch => ({ changes: [{ t: "t", op: "delete", key: { id } }] });

before(() => Database.ready());

describe("sync with PostgreSQL: the device's outbox and rebase", () => {
  it("records each write in the app's transaction, one id per transaction, none on rollback", () => {
    const { db, local } = device();
    db.transaction(() => {
      db.exec("INSERT INTO t VALUES ('1', 'a', 'b')");
      db.exec("UPDATE t SET a = 'A' WHERE id = '1'");
    });
    try {
      db.transaction(() => {
        db.exec("INSERT INTO t VALUES ('2', 'x', 'y')");
        throw new Error("rolled back");
      });
    } catch {
      // the insert and its outbox row went together
    }
    db.exec("DELETE FROM t WHERE id = '1'");
    const out = local.outbox();
    assert.deepEqual(
      out.map((r) => [r.op, r.key]),
      [
        ["I", { id: "1" }],
        ["U", { id: "1" }],
        ["D", { id: "1" }],
      ],
    );
    assert.equal(out[0].txn, out[1].txn);
    assert.notEqual(out[1].txn, out[2].txn);
    assert.equal(local.pending(), 2);
    const upload = local.nextUpload(0)!;
    assert.deepEqual(
      upload.map((t) => t.writes.map((w) => w.op)),
      [["insert", "update"], ["delete"]],
    );
    assert.deepEqual(upload[0].writes[1].values, { a: "A" }, "an update sends what it changed");
  });

  it("records nothing while capture is off (the server's changes)", () => {
    const { db, local } = device();
    apply(db, local, [upsert("s", "from", "server")]);
    assert.deepEqual(local.outbox(), []);
    assert.deepEqual(rows(db), [{ id: "s", a: "from", b: "server" }]);
  });

  it("keeps pending writes on top of the server's changes, column by column", () => {
    const { db, local } = device();
    apply(db, local, [upsert("1", "a0", "b0")]);
    db.exec("UPDATE t SET a = 'mine' WHERE id = '1'");
    apply(db, local, [upsert("1", "a0", "theirs")]);
    assert.deepEqual(rows(db), [{ id: "1", a: "mine", b: "theirs" }]);
    // Acknowledged by the stream (its own write, as Postgres has it): the outbox empties.
    const seq = local.outbox()[0].id;
    apply(db, local, [{ ...upsert("1", "mine", "theirs"), ack: { seq, rejected: [] } }]);
    assert.deepEqual(local.outbox(), []);
    assert.deepEqual(rows(db), [{ id: "1", a: "mine", b: "theirs" }]);
  });

  it("undoes a refused write, and reports it once", () => {
    const { db, local } = device();
    db.exec("INSERT INTO t VALUES ('bad', 'a', 'b')");
    db.exec("INSERT INTO t VALUES ('good', 'a', 'b')");
    const [bad, good] = local.outbox();
    const rejection = { seq: bad.id, table: "t", key: { id: "bad" }, code: "23505", message: "no" };
    const applied = apply(db, local, [
      { changes: [], ack: { seq: bad.id, rejected: [rejection] } },
    ]);
    assert.deepEqual(applied.rejected, [rejection]);
    assert.deepEqual(rows(db), [{ id: "good", a: "a", b: "b" }]);
    assert.deepEqual(
      local.outbox().map((r) => r.id),
      [good.id],
    );
    const again = apply(db, local, [{ changes: [], ack: { seq: bad.id, rejected: [rejection] } }]);
    assert.deepEqual(again.rejected, [], "once");
  });

  it("goes on when the server removed the row of a pending update or delete", () => {
    const { db, local } = device();
    apply(db, local, [upsert("u", "a", "b"), upsert("d", "a", "b")]);
    db.exec("UPDATE t SET a = 'mine' WHERE id = 'u'");
    db.exec("DELETE FROM t WHERE id = 'd'");
    apply(db, local, [remove("u"), remove("d")]);
    assert.deepEqual(rows(db), []);
    // Later changes apply under the same pending writes again (this failed before the outbox
    // kept each write's key: a delete of a row already gone had no row to name).
    apply(db, local, [upsert("x", "1", "2")], "2");
    apply(db, local, [upsert("y", "1", "2")], "3");
    assert.deepEqual(rows(db), [
      { id: "x", a: "1", b: "2" },
      { id: "y", a: "1", b: "2" },
    ]);
    const writes = local.nextUpload(0)!.flatMap((t) => t.writes);
    assert.deepEqual(
      writes.map((w) => [w.op, w.key]),
      [
        ["update", { id: "u" }],
        ["delete", { id: "d" }],
      ],
    );
  });

  it("moves a row whose key an update changed, and moves it back when undone", () => {
    const { db, local } = device();
    apply(db, local, [upsert("old", "a", "b")]);
    db.exec("UPDATE t SET id = 'new' WHERE id = 'old'");
    apply(db, local, [upsert("z", "1", "2")]);
    assert.deepEqual(
      rows(db).map((r) => (r as { id: string }).id),
      ["new", "z"],
    );
    const [write] = local.nextUpload(0)!;
    assert.deepEqual(
      write.writes.map((w) => [w.op, w.key]),
      [
        ["delete", { id: "old" }],
        ["insert", { id: "new" }],
      ],
    );
    const rejection = {
      seq: write.seq,
      table: "t",
      key: { id: "new" },
      code: "23505",
      message: "no",
    };
    apply(db, local, [{ changes: [], ack: { seq: write.seq, rejected: [rejection] } }]);
    assert.deepEqual(
      rows(db).map((r) => (r as { id: string }).id),
      ["old", "z"],
    );
  });

  it("keeps blobs and integers past 2^53 exact through the outbox", () => {
    const { db, local } = device();
    db.exec("CREATE TABLE k (id INTEGER PRIMARY KEY, v BLOB)");
    const side = new LocalSide(db, ["k"]);
    side.install(() => "unused-client");
    db.exec("INSERT INTO k VALUES (9223372036854775807, x'00ff10')");
    const [insert] = side.nextUpload(0)![0].writes;
    assert.deepEqual(insert.key, { id: { $i: "9223372036854775807" } });
    assert.deepEqual(insert.values, { id: { $i: "9223372036854775807" }, v: { $x: "00FF10" } });
    void local;
  });
});
