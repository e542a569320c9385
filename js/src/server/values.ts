/**
 * Postgres values as SQLite values, and back (docs/API.md "Types"). The server reads every value
 * as Postgres prints it (text, with DateStyle ISO and TimeZone UTC), in the change stream and in
 * snapshots alike, and turns it into a wire value by its column's type; uploads go the other way,
 * as text parameters cast to the column's type, so Postgres itself checks them.
 */
import type { WireValue } from "../pgsync/wire.js";

/** Built-in type oids the mapping treats apart (pg_type.dat); every other type travels as text. */
const BOOL = 16;
const BYTEA = 17;
const INTEGERS = new Set([20, 21, 23, 26]); // int8, int2, int4, oid
const FLOATS = new Set([700, 701]); // float4, float8
const TIMESTAMPTZ = 1184;
const TIMESTAMP = 1114;

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** The session settings every connection of the server uses, so values print one way. */
export const SESSION_OPTIONS = "-c DateStyle=ISO -c TimeZone=UTC -c extra_float_digits=3";

/** An integer's text as a wire value: a number within ±2^53 - 1, else { $i }. */
function integer(text: string): WireValue {
  const n = BigInt(text);
  return n <= SAFE && n >= -SAFE ? Number(n) : { $i: n.toString() };
}

/**
 * A timestamp as ISO 8601 with a "T", milliseconds at least (as JavaScript's toISOString
 * writes them) and the microseconds Postgres keeps: "2024-05-01 10:00:00.5+00" becomes
 * "2024-05-01T10:00:00.500Z". Dates past 9999, BC and ±infinity stay as Postgres prints them.
 */
function isoTimestamp(text: string, zoned: boolean): string {
  const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?(\+00)?$/.exec(text);
  if (!m || (zoned && !m[4])) return text;
  const fraction = (m[3] ?? "").padEnd(3, "0");
  return `${m[1]}T${m[2]}.${fraction}${zoned ? "Z" : ""}`;
}

/** A value Postgres printed (null: SQL NULL) as a wire value, by the oid of its type. */
export function fromPostgres(oid: number, text: string | null): WireValue {
  if (text === null) return null;
  if (INTEGERS.has(oid)) return integer(text);
  if (FLOATS.has(oid)) {
    const n = Number(text);
    return Number.isFinite(n) ? n : text; // NaN and ±Infinity have no JSON number: their text
  }
  if (oid === BOOL) return text === "t" ? 1 : 0;
  if (oid === BYTEA) return { $x: text.startsWith("\\x") ? text.slice(2) : text };
  if (oid === TIMESTAMPTZ) return isoTimestamp(text, true);
  if (oid === TIMESTAMP) return isoTimestamp(text, false);
  return text;
}

/**
 * A wire value as a parameter for a column of type (its name, as format_type() gives it): text
 * that Postgres casts to the type, or a Buffer for bytea. A blob for a column of another type
 * is its hex text (which the cast refuses unless the type takes it).
 */
export function toPostgres(type: string, value: WireValue): string | Buffer | null {
  if (value === null) return null;
  if (typeof value === "object") {
    if ("$i" in value) return value.$i;
    return type === "bytea" ? Buffer.from(value.$x, "hex") : `\\x${value.$x}`;
  }
  if (type === "boolean" && typeof value === "number") return value !== 0 ? "true" : "false";
  return String(value);
}
