/**
 * A prepared statement of the Promise API. It lives at the worker holding its database; when the
 * database moves to another tab, it is prepared again there at its next use, and a run in flight
 * that left no trace at the old holder is run again at the new one.
 */
import { type BindParams, encodeParams } from "../codec/params.js";
import { decodeObjects, decodeResult } from "../codec/results.js";
import { misuse } from "../errors.js";
import type { DatabaseCore } from "./core.js";
import type { Row, RunResult } from "./options.js";
import { errorCode } from "./routing.js";

export class Statement {
  readonly sql: string;
  /** Column names of the statement's result (empty for statements that return no rows). */
  readonly columns: readonly string[];
  private readonly core: DatabaseCore;
  private id: number;
  /** The database's moves count when the statement was prepared where it is. */
  private at: number;
  private finalized = false;

  /** @internal use Database.prepare() */
  constructor(core: DatabaseCore, id: number, sql: string, columns: string[]) {
    this.core = core;
    this.id = id;
    this.at = core.moves;
    this.sql = sql;
    this.columns = columns;
  }

  /** The statement's id at the database's holder: prepared again there after a move. */
  private async here(): Promise<number> {
    const core = this.core;
    while (this.at !== core.moves || (core.follows && core.moved)) {
      // request() follows the move first, so the statement is prepared at the new holder.
      const { stmt } = await core.request("prepare", { db: core.id, sql: this.sql });
      this.id = stmt;
      this.at = core.moves;
    }
    return this.id;
  }

  /**
   * One execution in the worker (with first, up to the first row). Statements are not held
   * back by transactions: they run on the connection as it is.
   */
  private async send(
    what: string,
    params: BindParams | undefined,
    rows: boolean,
    first = false,
  ): Promise<Uint8Array> {
    const core = this.core;
    core.check(null, what, true);
    if (this.finalized) throw misuse(`${what}: the statement is finalized`);
    const encoded = encodeParams(params ?? [])!;
    for (;;) {
      // (No await unless the database moved: the request leaves in the same tick as the call.)
      const here = this.at === core.moves && !(core.follows && core.moved);
      const stmt = here ? this.id : await this.here();
      const args = { stmt, params: encoded, rows, first, deadline: core.deadline() };
      try {
        return await core.request("run", args, [encoded.buffer as ArrayBuffer]);
      } catch (e) {
        // The holder ended before the run left a trace: prepare it at the next one, run it there.
        if (errorCode(e) === "DATABASE_MOVED" && core.follows && core.moved) continue;
        throw e;
      }
    }
  }

  /** Executes the statement once. */
  async run(params?: BindParams): Promise<RunResult> {
    const r = decodeResult(await this.send("run", params, false));
    return { changes: r.changes, lastInsertRowid: r.lastInsertRowid };
  }

  /** Every row, as objects. */
  async all<T = Row>(params?: BindParams): Promise<T[]> {
    return decodeObjects<T>(await this.send("all", params, true)).rows;
  }

  /** The first row, or undefined when there is none. */
  async get<T = Row>(params?: BindParams): Promise<T | undefined> {
    return decodeObjects<T>(await this.send("get", params, true, true)).rows[0];
  }

  /** Releases the statement; finalizing twice is harmless. */
  async finalize(): Promise<void> {
    if (this.finalized) return;
    this.finalized = true;
    const core = this.core;
    if (!core.alive || core.moved || this.at !== core.moves) return;
    await core.client.request("finalize", { stmt: this.id });
  }
}
