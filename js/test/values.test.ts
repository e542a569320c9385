// Every value type round-trips through the TypeScript codec, the real wasm and back.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";

import type { Connection } from "../src/bindings/connection.js";
import { memoryDb, runtime } from "./helpers.js";

describe("values", () => {
  let db: Connection;
  before(async () => {
    const { rt } = await runtime();
    db = memoryDb(rt);
    db.exec("CREATE TABLE t(x)");
  });

  function roundTrip(value: unknown): { value: unknown; type: unknown; stored: unknown } {
    const r = db.exec("SELECT ?1, typeof(?1)", [value as never], { rows: true });
    db.exec("DELETE FROM t; INSERT INTO t VALUES (?)", [value as never]);
    const stored = db.exec("SELECT x FROM t", null, { rows: true }).rows[0][0];
    return { value: r.rows[0][0], type: r.rows[0][1], stored };
  }

  it("keeps integers exact: numbers within ±2^53, bigint beyond", () => {
    for (const n of [
      0,
      1,
      -1,
      2147483647,
      -2147483648,
      2147483648,
      -2147483649,
      2 ** 53 - 1,
      -(2 ** 53 - 1),
    ]) {
      const r = roundTrip(n);
      assert.equal(r.value, n);
      assert.equal(r.type, "integer", `typeof(${n})`);
      assert.equal(r.stored, n);
    }
    for (const b of [2n ** 53n, -(2n ** 53n), 2n ** 63n - 1n, -(2n ** 63n), 9007199254740993n]) {
      const r = roundTrip(b);
      assert.equal(r.value, b);
      assert.equal(r.type, "integer");
      assert.equal(r.stored, b);
    }
    // A bigint that fits a number comes back as a number.
    assert.equal(roundTrip(42n).value, 42);
  });

  it("rejects bigints outside 64 bits with a RangeError naming the parameter", () => {
    assert.throws(() => db.exec("SELECT ?", [2n ** 63n]), /parameter 1: .* 64-bit/);
  });

  it("keeps doubles bit for bit, including -0 and infinities; NaN becomes NULL", () => {
    for (const d of [
      0.5,
      -1.25,
      1e300,
      Number.MIN_VALUE,
      Infinity,
      -Infinity,
      Math.PI,
      2 ** 60 + 0.5,
    ]) {
      const r = roundTrip(d);
      assert.equal(r.value, d);
      assert.equal(r.type, "real");
    }
    const negZero = roundTrip(-0);
    assert.ok(Object.is(negZero.value, -0));
    assert.equal(negZero.type, "real");
    const nan = roundTrip(NaN);
    assert.equal(nan.value, null);
    assert.equal(nan.type, "null");
  });

  it("distinguishes empty text from NULL and keeps text exact", () => {
    assert.deepEqual(roundTrip(""), { value: "", type: "text", stored: "" });
    assert.deepEqual(roundTrip(null), { value: null, type: "null", stored: null });
    const text = "a\u0000b\u0000 😀 € é 𝄞";
    assert.deepEqual(roundTrip(text), { value: text, type: "text", stored: text });
    const long = "x".repeat(100_000) + "é";
    assert.equal(roundTrip(long).value, long);
  });

  it("keeps blobs as bytes; an empty blob stays a blob", () => {
    const bytes = new Uint8Array(256).map((_, i) => i);
    const r = roundTrip(bytes);
    assert.deepEqual(r.value, bytes);
    assert.equal(r.type, "blob");
    assert.deepEqual(r.stored, bytes);
    const empty = roundTrip(new Uint8Array(0));
    assert.ok(empty.value instanceof Uint8Array);
    assert.equal((empty.value as Uint8Array).length, 0);
    assert.equal(empty.type, "blob");
    assert.deepEqual(roundTrip(bytes.buffer).value, bytes);
  });

  it("binds booleans as 1 and 0", () => {
    assert.equal(roundTrip(true).value, 1);
    assert.equal(roundTrip(false).value, 0);
  });

  it("rejects unsupported values with a TypeError naming the parameter", () => {
    assert.throws(() => db.exec("SELECT ?, ?", [1, undefined as never]), {
      name: "TypeError",
      message: /parameter 2: unsupported value undefined/,
    });
    assert.throws(
      () => db.exec("SELECT :when", { when: new Date() as never }),
      /parameter :when: .*Date/,
    );
    assert.throws(
      () => db.exec("SELECT ?", [{} as never]),
      /parameter 1: unsupported value of type Object/,
    );
    assert.throws(() => db.exec("SELECT ?", [(() => 1) as never]), /parameter 1: .*function/);
    assert.throws(() => db.exec("SELECT ?", [Symbol("s") as never]), /parameter 1: .*symbol/);
    assert.throws(
      () => db.exec("SELECT ?", "text" as never),
      /parameters must be an array .* or a plain object/,
    );
    // Nothing was run, and the connection still works.
    assert.deepEqual(db.exec("SELECT 1", null, { rows: true }).rows, [[1]]);
  });
});
