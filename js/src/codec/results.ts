/**
 * Decodes the core's result, column and error buffers (docs/FORMAT.md). One pass over the bytes,
 * no call back into wasm.
 */
import { Magic, ResultFlag, Tag } from "../generated/constants.js";
import { SQLiteError } from "../errors.js";
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

function utf8(bytes: Uint8Array, start: number, length: number): string {
  if (length < 24) {
    // Short ASCII is decoded faster by hand than through TextDecoder.
    let s = "";
    for (let i = start, end = start + length; i < end; i++) {
      const b = bytes[i];
      if (b >= 0x80) return decoder.decode(bytes.subarray(start, start + length));
      s += String.fromCharCode(b);
    }
    return s;
  }
  return decoder.decode(bytes.subarray(start, start + length));
}

function malformed(what: string): Error {
  return new Error(`web-sqlite: malformed ${what} buffer from the core`);
}

/**
 * Decodes a result buffer. names supplies the column names when the buffer carries none
 * (wsq_stmt_step results).
 */
export function decodeResult(buffer: ArrayBuffer | Uint8Array, names?: string[]): ResultSet {
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
  const rows = new Array<SqlValue[]>(nrows);
  for (let r = 0; r < nrows; r++) {
    const row = new Array<SqlValue>(ncols);
    for (let c = 0; c < ncols; c++) {
      const tag = bytes[pos++];
      switch (tag) {
        case Tag.NULL:
          row[c] = null;
          break;
        case Tag.INT32:
          row[c] = view.getInt32(pos, true);
          pos += 4;
          break;
        case Tag.INT64:
          row[c] = int64(view, pos);
          pos += 8;
          break;
        case Tag.FLOAT:
          row[c] = view.getFloat64(pos, true);
          pos += 8;
          break;
        case Tag.TEXT: {
          const len = view.getUint32(pos, true);
          row[c] = utf8(bytes, pos + 4, len);
          pos += 4 + len;
          break;
        }
        case Tag.BLOB: {
          const len = view.getUint32(pos, true);
          row[c] = bytes.slice(pos + 4, pos + 4 + len);
          pos += 4 + len;
          break;
        }
        default:
          throw malformed("result");
      }
    }
    rows[r] = row;
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

/** Turns array rows into objects keyed by column name (a later duplicate name wins). */
export function toObjects<T = Record<string, SqlValue>>(
  columns: string[],
  rows: SqlValue[][],
): T[] {
  const out = new Array<T>(rows.length);
  const n = columns.length;
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    const o: Record<string, SqlValue> = {};
    for (let c = 0; c < n; c++) o[columns[c]] = row[c];
    out[r] = o as T;
  }
  return out;
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
  if (buffer.byteLength < 20 || view.getUint32(0, true) !== Magic.ERROR) throw malformed("error");
  const code = view.getInt32(4, true);
  const offset = view.getInt32(8, true);
  let pos = 12;
  const nameLen = view.getUint32(pos, true);
  const name = utf8(buffer, pos + 4, nameLen);
  pos += 4 + nameLen;
  const msgLen = view.getUint32(pos, true);
  const message = decoder.decode(buffer.subarray(pos + 4, pos + 4 + msgLen));
  const index = offset >= 0 && sql !== undefined ? byteOffsetToIndex(sql, offset) : offset;
  return new SQLiteError(code, name, message, index);
}
