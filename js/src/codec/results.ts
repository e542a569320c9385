/**
 * Decodes the core's result, column and error buffers (docs/FORMAT.md). One pass over the bytes,
 * no call back into wasm.
 */
import { ErrorFlag, Magic, ResultFlag, Tag } from "../generated/constants.js";
import { SQLiteError, autocommitAfter } from "../errors.js";
import type { SqlValue } from "./params.js";

/** A decoded result: column names, rows as arrays, and what the statement changed. */
export interface ResultSet {
  columns: string[];
  rows: SqlValue[][];
  /** Rows inserted, updated or deleted by the call (triggers not counted). */
  changes: number;
  /** The connection's last insert rowid after the call; a bigint beyond ±2^53. */
  lastInsertRowid: number | bigint;
  /** wsq_stmt_step stopped at its row limit: the statement has more rows. */
  more: boolean;
  /** The header's flag bits (ResultFlag). */
  flags: number;
}

const decoder = new TextDecoder("utf-8", { fatal: false });

function int64(view: DataView, pos: number): number | bigint {
  const lo = view.getUint32(pos, true);
  const hi = view.getInt32(pos + 4, true);
  const n = hi * 4294967296 + lo;
  return Number.isSafeInteger(n) ? n : (BigInt(hi) << 32n) | BigInt(lo);
}

/** NUL-terminated UTF-8 names, as the core lists tables (wsq_conn_changes). */
export function decodeNames(bytes: Uint8Array): string[] {
  if (bytes.length === 0) return [];
  return decoder.decode(bytes.subarray(0, bytes.length - 1)).split("\0");
}

/** Char codes of a short ASCII string, reused (a string built by += would be a rope of pieces). */
const codes: number[] = [];

function utf8(bytes: Uint8Array, start: number, length: number): string {
  if (length < 24) {
    // Short ASCII is decoded faster by hand than through TextDecoder.
    codes.length = length;
    for (let i = 0; i < length; i++) {
      const b = bytes[start + i];
      if (b >= 0x80) return decoder.decode(bytes.subarray(start, start + length));
      codes[i] = b;
    }
    return String.fromCharCode.apply(null, codes);
  }
  return decoder.decode(bytes.subarray(start, start + length));
}

function malformed(what: string): Error {
  return new Error(`web-sqlite: malformed ${what} buffer from the core`);
}

/** The read position of the value decoder (one module-level cursor: no allocation per value). */
let at = 0;

/** Decodes the value at the cursor and moves past it. */
function value(bytes: Uint8Array, view: DataView): SqlValue {
  const tag = bytes[at++];
  switch (tag) {
    case Tag.NULL:
      return null;
    case Tag.INT32:
      at += 4;
      return view.getInt32(at - 4, true);
    case Tag.INT64:
      at += 8;
      return int64(view, at - 8);
    case Tag.FLOAT:
      at += 8;
      return view.getFloat64(at - 8, true);
    case Tag.TEXT: {
      const len = view.getUint32(at, true);
      at += 4 + len;
      return utf8(bytes, at - len, len);
    }
    case Tag.BLOB: {
      const len = view.getUint32(at, true);
      at += 4 + len;
      return bytes.slice(at - len, at);
    }
    default:
      throw malformed("result");
  }
}

/** What db.execute() gives: a statement's rows as arrays with their columns, and its counts. */
export interface ExecuteResult {
  columns: string[];
  rows: SqlValue[][];
  changes: number;
  lastInsertRowid: number | bigint;
}

/** The ExecuteResult of a result buffer. */
export function decodeExecuteResult(bytes: Uint8Array): ExecuteResult {
  const { columns, rows, changes, lastInsertRowid } = decodeResult(bytes);
  return { columns, rows, changes, lastInsertRowid };
}

/**
 * Decodes a result buffer. names supplies the column names when the buffer carries none
 * (wsq_stmt_step results).
 */
export function decodeResult(buffer: ArrayBuffer | Uint8Array, names?: string[]): ResultSet {
  return decode(buffer, names, false) as ResultSet;
}

/**
 * decodeResult with each row built directly as an object keyed by column name (a later duplicate
 * name wins): no intermediate arrays.
 */
export function decodeObjects<T = Record<string, SqlValue>>(
  buffer: ArrayBuffer | Uint8Array,
  names?: string[],
): Omit<ResultSet, "rows"> & { rows: T[] } {
  return decode(buffer, names, true) as Omit<ResultSet, "rows"> & { rows: T[] };
}

function decode(
  buffer: ArrayBuffer | Uint8Array,
  names: string[] | undefined,
  objects: boolean,
): Omit<ResultSet, "rows"> & { rows: unknown[] } {
  const bytes = buffer instanceof Uint8Array ? buffer : new Uint8Array(buffer);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 32 || view.getUint32(0, true) !== Magic.RESULT) throw malformed("result");
  const flags = view.getUint32(4, true);
  const ncols = view.getUint32(8, true);
  const nrows = view.getUint32(12, true);
  const changes = Number(int64(view, 16));
  const lastInsertRowid = int64(view, 24);
  let pos = 32;
  let columns: string[];
  if (flags & ResultFlag.NAMES) {
    columns = new Array<string>(ncols);
    for (let c = 0; c < ncols; c++) {
      const len = view.getUint32(pos, true);
      columns[c] = utf8(bytes, pos + 4, len);
      pos += 4 + len;
    }
  } else {
    columns = names ?? [];
  }
  at = pos;
  const rows = new Array<unknown>(nrows);
  if (objects) {
    for (let r = 0; r < nrows; r++) {
      const row: Record<string, SqlValue> = {};
      for (let c = 0; c < ncols; c++) row[columns[c]] = value(bytes, view);
      rows[r] = row;
    }
  } else {
    for (let r = 0; r < nrows; r++) {
      const row = new Array<SqlValue>(ncols);
      for (let c = 0; c < ncols; c++) row[c] = value(bytes, view);
      rows[r] = row;
    }
  }
  return {
    columns,
    rows,
    changes,
    lastInsertRowid,
    more: (flags & ResultFlag.MORE) !== 0,
    flags,
  };
}

/** Column names and declared types ("" when the column has none). */
export interface ColumnInfo {
  names: string[];
  declaredTypes: string[];
}

export function decodeColumns(buffer: Uint8Array): ColumnInfo {
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  if (buffer.byteLength < 8 || view.getUint32(0, true) !== Magic.COLUMNS) {
    throw malformed("columns");
  }
  const n = view.getUint32(4, true);
  const names: string[] = [];
  const declaredTypes: string[] = [];
  let pos = 8;
  for (let i = 0; i < n; i++) {
    let len = view.getUint32(pos, true);
    names.push(utf8(buffer, pos + 4, len));
    pos += 4 + len;
    len = view.getUint32(pos, true);
    declaredTypes.push(utf8(buffer, pos + 4, len));
    pos += 4 + len;
  }
  return { names, declaredTypes };
}

/** The UTF-16 index in sql of a UTF-8 byte offset. */
export function byteOffsetToIndex(sql: string, byteOffset: number): number {
  let bytes = 0;
  for (let i = 0; i < sql.length; i++) {
    if (bytes >= byteOffset) return i;
    const c = sql.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return sql.length;
}

/** Decodes an error record into a SQLiteError; sql, when given, converts the offset. */
export function decodeError(buffer: Uint8Array, sql?: string): SQLiteError {
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  if (buffer.byteLength < 24 || view.getUint32(0, true) !== Magic.ERROR) throw malformed("error");
  const code = view.getInt32(4, true);
  const offset = view.getInt32(8, true);
  const flags = view.getUint32(12, true);
  // The record names the code too (for hosts without the constants); the name is derived here.
  let pos = 16;
  pos += 4 + view.getUint32(pos, true);
  const msgLen = view.getUint32(pos, true);
  const message = decoder.decode(buffer.subarray(pos + 4, pos + 4 + msgLen));
  const index = offset >= 0 && sql !== undefined ? byteOffsetToIndex(sql, offset) : offset;
  const error = new SQLiteError(code, message, { offset: index });
  if (flags & ErrorFlag.AUTOCOMMIT) autocommitAfter.add(error);
  return error;
}
