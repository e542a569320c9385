/**
 * What both drivers do with a statement's rows. The drivers reach the library only through a
 * database's public calls and its types, so that in an app's bundle they bring no second copy of
 * the library's modules: this is theirs.
 */
import type { SqlValue } from "../codec/params.js";

/** A row as an object keyed by column name (a later duplicate name wins, as in db.query()). */
export function objectOf(columns: string[], row: SqlValue[]): Record<string, SqlValue> {
  const o: Record<string, SqlValue> = {};
  for (let i = 0; i < columns.length; i++) o[columns[i]] = row[i];
  return o;
}
