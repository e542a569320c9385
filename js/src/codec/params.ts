/**
 * Encodes bind parameters into the binary parameter buffer of docs/FORMAT.md. Runs wherever the
 * values are (the main thread for the Promise API), so type errors surface at the call site and
 * the worker passes the bytes to wasm untouched.
 */
import { ParamsKind, Tag } from "../generated/constants.js";

/** A value SQLite can store. */
export type SqlValue = null | number | bigint | string | boolean | Uint8Array | ArrayBuffer;
/** A row as an object, by column name. */
export type Row = Record<string, SqlValue>;
/** Positional (`?`, `?NNN`) or named (`:name`, `@name`, `$name`) parameters. */
export type BindParams = readonly SqlValue[] | { readonly [name: string]: SqlValue };

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const encoder = new TextEncoder();

/** Grows a byte buffer as values are appended. */
class Writer {
  bytes: Uint8Array;
  view: DataView;
  pos = 0;

  constructor(capacity: number) {
    this.bytes = new Uint8Array(capacity);
    this.view = new DataView(this.bytes.buffer);
  }

  reserve(n: number): void {
    if (this.pos + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.pos + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.pos));
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
  }

  u8(v: number): void {
    this.reserve(1);
    this.bytes[this.pos++] = v;
  }

  u32(v: number): void {
    this.reserve(4);
    this.view.setUint32(this.pos, v, true);
    this.pos += 4;
  }

  /** A u32 length and the UTF-8 bytes of s. */
  text(s: string): void {
    // UTF-8 needs at most 3 bytes per UTF-16 code unit.
    const n = s.length;
    this.reserve(4 + n * 3);
    if (n < 64) {
      // Short ASCII is written faster by hand than through TextEncoder.
      const bytes = this.bytes;
      const start = this.pos + 4;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        bytes[start + i] = c;
      }
      if (i === n) {
        this.view.setUint32(this.pos, n, true);
        this.pos = start + n;
        return;
      }
    }
    const { written } = encoder.encodeInto(s, this.bytes.subarray(this.pos + 4));
    this.view.setUint32(this.pos, written, true);
    this.pos += 4 + written;
  }

  bytesOf(b: Uint8Array): void {
    this.reserve(4 + b.length);
    this.view.setUint32(this.pos, b.length, true);
    this.bytes.set(b, this.pos + 4);
    this.pos += 4 + b.length;
  }

  value(v: unknown, label: string): void {
    if (v === null) {
      this.u8(Tag.NULL);
    } else if (typeof v === "number") {
      if (Number.isSafeInteger(v) && !Object.is(v, -0)) {
        if (v >= -2147483648 && v <= 2147483647) {
          this.u8(Tag.INT32);
          this.reserve(4);
          this.view.setInt32(this.pos, v, true);
          this.pos += 4;
        } else {
          this.u8(Tag.INT64);
          this.reserve(8);
          this.view.setUint32(this.pos, v >>> 0, true); // ToUint32 is v modulo 2^32
          this.view.setInt32(this.pos + 4, Math.floor(v / 4294967296), true);
          this.pos += 8;
        }
      } else {
        // Fractions, -0, NaN, infinities and integers beyond 2^53 (already inexact) are doubles.
        this.u8(Tag.FLOAT);
        this.reserve(8);
        this.view.setFloat64(this.pos, v, true);
        this.pos += 8;
      }
    } else if (typeof v === "string") {
      this.u8(Tag.TEXT);
      this.text(v);
    } else if (typeof v === "bigint") {
      if (v < INT64_MIN || v > INT64_MAX) {
        throw new RangeError(
          `parameter ${label}: ${v} does not fit in a 64-bit signed integer (SQLite's INTEGER)`,
        );
      }
      this.u8(Tag.INT64);
      this.reserve(8);
      this.view.setBigInt64(this.pos, v, true);
      this.pos += 8;
    } else if (typeof v === "boolean") {
      this.u8(Tag.INT32);
      this.reserve(4);
      this.view.setInt32(this.pos, v ? 1 : 0, true);
      this.pos += 4;
    } else if (v instanceof Uint8Array) {
      this.u8(Tag.BLOB);
      this.bytesOf(v);
    } else if (v instanceof ArrayBuffer) {
      this.u8(Tag.BLOB);
      this.bytesOf(new Uint8Array(v));
    } else {
      throw new TypeError(
        `parameter ${label}: unsupported value ${describe(v)}; use null, number, bigint, string, ` +
          `boolean, Uint8Array or ArrayBuffer`,
      );
    }
  }
}

function describe(v: unknown): string {
  if (v === undefined) return "undefined";
  if (typeof v === "function") return "of type function";
  if (typeof v === "symbol") return "of type symbol";
  if (v instanceof Date) return "of type Date (convert it, e.g. date.toISOString() or getTime())";
  const ctor = (v as object).constructor?.name;
  return ctor ? `of type ${ctor}` : "of type object";
}

const shared = new Writer(4096);

/**
 * Encodes params, or returns null when there are none. Throws TypeError / RangeError naming the
 * offending parameter (e.g. "parameter 2" or "parameter :id").
 *
 * With copy false the bytes are a view of a buffer the next call overwrites: for callers that
 * consume them at once (the synchronous bindings copy them into wasm memory).
 */
export function encodeParams(
  params: BindParams | undefined | null,
  copy = true,
): Uint8Array | null {
  if (params === undefined || params === null) return null;
  const w = shared;
  w.pos = 0;
  if (Array.isArray(params)) {
    w.u8(ParamsKind.POSITIONAL);
    w.u32(params.length);
    for (let i = 0; i < params.length; i++) w.value(params[i], String(i + 1));
  } else if (typeof params === "object" && !ArrayBuffer.isView(params)) {
    const keys = Object.keys(params);
    w.u8(ParamsKind.NAMED);
    w.u32(keys.length);
    for (const key of keys) {
      if (key.length === 0) throw new TypeError("parameter names must not be empty");
      w.text(key);
      w.value((params as Record<string, unknown>)[key], /^[:@$?]/.test(key) ? key : `:${key}`);
    }
  } else {
    throw new TypeError(
      `parameters must be an array (positional) or a plain object (named), not ${describe(params)}`,
    );
  }
  const bytes = w.bytes.subarray(0, w.pos);
  return copy ? bytes.slice() : bytes;
}
