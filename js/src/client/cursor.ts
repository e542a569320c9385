/**
 * A query's rows streamed a chunk per round trip (db.iterate): a cursor at the worker holding
 * the database, which the page asks for the next chunk while it hands out this one. A cursor
 * lives at its holder: when the database moves to another tab, it ends there (DATABASE_MOVED).
 */
import { type BindParams, encodeParams } from "../codec/params.js";
import { decodeObjects } from "../codec/results.js";
import { type DatabaseCore, type Owner, movedAway, transferOf } from "./core.js";
import type { IterateOptions, Row } from "./options.js";

/** The rows of sql, streamed; leaving the loop early finalizes the cursor. */
export async function* cursorRows<T = Row>(
  core: DatabaseCore,
  caller: Owner | null,
  sql: string,
  params: BindParams | undefined,
  options: IterateOptions,
): AsyncGenerator<T, void, undefined> {
  const db = core.check(caller, "iterate");
  const chunkRows = options.chunkRows ?? 1024;
  if (!Number.isInteger(chunkRows) || chunkRows < 1 || chunkRows > 2 ** 31 - 1) {
    throw new RangeError("iterate: chunkRows must be a whole number of rows from 1 to 2^31 - 1");
  }
  const encoded = encodeParams(params);
  const first = await core.request(
    "iterate",
    { db, sql, params: encoded, chunkRows, deadline: core.deadline() },
    transferOf(encoded),
  );
  let cursor = first.cursor;
  const at = core.moves;
  const fetch = async () => {
    // A cursor lives at its holder: if the database moved, it ended there.
    if (core.moves !== at || (core.follows && core.moved)) {
      cursor = 0;
      throw movedAway(core.name, "the query's cursor");
    }
    return core.request("next", { cursor, chunkRows, deadline: core.deadline() });
  };
  // The next chunk is asked for while this one is consumed.
  let ahead = cursor !== 0 ? fetch() : null;
  // The first chunk carries the column names; the others are decoded with them.
  const decoded = decodeObjects<T>(first.chunk);
  const columns = decoded.columns;
  let rows = decoded.rows;
  try {
    for (;;) {
      yield* rows;
      if (!ahead) return;
      const next = await ahead;
      rows = decodeObjects<T>(next.chunk, columns).rows;
      if (next.done) {
        cursor = 0;
        ahead = null;
      } else {
        ahead = fetch();
      }
    }
  } finally {
    if (cursor !== 0) {
      // Unless the worker said the cursor is done, finalize it (harmless if it already is).
      const last = ahead ? await ahead.catch(() => ({ done: false })) : { done: false };
      if (!last.done && core.alive && core.moves === at && !core.moved) {
        await core.client.request("finalize", { stmt: cursor }).catch(() => {});
      }
    }
  }
}
