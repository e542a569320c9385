/**
 * The Promise API of the main thread: open() returns a Database whose calls run in the worker.
 * Parameters are encoded here (so a bad value throws at the call site) and results decoded here.
 */
import { type BindParams, type SqlValue, encodeParams } from "../codec/params.js";
import { decodeResult, toObjects } from "../codec/results.js";
import { ResultCode as RC } from "../generated/constants.js";
import { SQLiteError } from "../errors.js";
import type { Storage } from "../worker/protocol.js";
import { defaultSpawn } from "./spawn.js";
import { WorkerClient } from "./worker-client.js";

export interface OpenOptions {
  /** "file" (default in Node: a file at the path `name`, relative to the working directory) or "memory". */
  storage?: Storage;
  /** How long SQLite retries when another connection holds a lock. */
  busyTimeoutMs?: number;
  /** Receives SQLite's log (sqlite3_log) for every database of the worker. Default: console.warn. */
  log?: (code: number, message: string) => void;
  /** Where the worker finds web-sqlite.wasm; used when the worker starts. */
  wasm?: string | URL;
}

/** What a statement that writes reports. */
export interface RunResult {
  /** Rows inserted, updated or deleted (triggers not counted). */
  changes: number;
  /** The last inserted rowid of the connection; a bigint beyond ±2^53. */
  lastInsertRowid: number | bigint;
}

export type Row = Record<string, SqlValue>;

let sharedClient: WorkerClient | null = null;

function client(options: OpenOptions): WorkerClient {
  sharedClient ??= new WorkerClient(defaultSpawn(options.wasm));
  sharedClient.log =
    options.log ?? ((code, message) => console.warn(`sqlite (${code}): ${message}`));
  return sharedClient;
}

function closedError(name: string): SQLiteError {
  return new SQLiteError(RC.SQLITE_MISUSE, "SQLITE_MISUSE", `the database '${name}' is closed`);
}

function transferOf(bytes: Uint8Array | null): ArrayBuffer[] {
  return bytes ? [bytes.buffer as ArrayBuffer] : [];
}

/** Opens (creating if needed) a database. One worker serves every database of the process. */
export async function open(name: string, options: OpenOptions = {}): Promise<Database> {
  if (typeof name !== "string" || name.length === 0) {
    throw new TypeError("open(name): name must be a non-empty string");
  }
  const c = client(options);
  const storage = options.storage ?? "file";
  const result = await c.request("open", {
    name,
    storage,
    busyTimeoutMs: options.busyTimeoutMs ?? null,
  });
  return new Database(c, c.generation, result.db, name, result.path, storage, result.sqliteVersion);
}

/** Stops the worker. Open databases are closed; the next open() starts a new worker. */
export function shutdown(): void {
  sharedClient?.terminate();
}

export class Database {
  readonly name: string;
  /** The path the host opened (Node: absolute), or the name for memory databases. */
  readonly path: string;
  readonly storage: Storage;
  readonly sqliteVersion: string;
  private readonly client: WorkerClient;
  private readonly generation: number;
  private readonly id: number;
  private closed = false;

  /** @internal use open() */
  constructor(
    client: WorkerClient,
    generation: number,
    id: number,
    name: string,
    path: string,
    storage: Storage,
    sqliteVersion: string,
  ) {
    this.client = client;
    this.generation = generation;
    this.id = id;
    this.name = name;
    this.path = path;
    this.storage = storage;
    this.sqliteVersion = sqliteVersion;
  }

  /** @internal */
  handle(): number {
    if (this.closed) throw closedError(this.name);
    return this.id;
  }

  get isOpen(): boolean {
    return !this.closed && this.generation === this.client.generation;
  }

  /** One exec request; the result buffer is decoded here. */
  private async request(sql: string, params: BindParams | undefined, rows: boolean) {
    const encoded = encodeParams(params);
    const buffer = await this.client.request(
      "exec",
      { db: this.handle(), sql, params: encoded, rows },
      transferOf(encoded),
    );
    return decodeResult(buffer);
  }

  /** Runs one statement or a script of several. params bind to the (one) statement that has parameters. */
  async exec(sql: string, params?: BindParams): Promise<RunResult> {
    const r = await this.request(sql, params, false);
    return { changes: r.changes, lastInsertRowid: r.lastInsertRowid };
  }

  /** Rows of a query as objects keyed by column name (a later duplicate name wins). */
  async query<T = Row>(sql: string, params?: BindParams): Promise<T[]> {
    const { columns, rows } = await this.request(sql, params, true);
    return toObjects<T>(columns, rows);
  }

  /** Rows of a query as arrays, with the column names. */
  async queryArrays(
    sql: string,
    params?: BindParams,
  ): Promise<{ columns: string[]; rows: SqlValue[][] }> {
    const { columns, rows } = await this.request(sql, params, true);
    return { columns, rows };
  }

  /** Prepares a statement for repeated use. Finalize it when done (close() does too). */
  async prepare(sql: string): Promise<Statement> {
    const { stmt, columns } = await this.client.request("prepare", { db: this.handle(), sql });
    return new Statement(this, this.client, stmt, sql, columns);
  }

  /** Closes the database and its statements. Later calls reject; closing twice is harmless. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.generation !== this.client.generation) return; // its worker is gone
    await this.client.request("close", { db: this.id });
  }
}

export class Statement {
  readonly sql: string;
  /** Column names of the statement's result (empty for statements that return no rows). */
  readonly columns: readonly string[];
  private readonly db: Database;
  private readonly client: WorkerClient;
  private readonly id: number;
  private finalized = false;

  /** @internal use Database.prepare() */
  constructor(db: Database, client: WorkerClient, id: number, sql: string, columns: string[]) {
    this.db = db;
    this.client = client;
    this.id = id;
    this.sql = sql;
    this.columns = columns;
  }

  private handle(): number {
    this.db.handle();
    if (this.finalized) {
      throw new SQLiteError(RC.SQLITE_MISUSE, "SQLITE_MISUSE", "the statement is finalized");
    }
    return this.id;
  }

  /** Executes the statement once. */
  async run(params?: BindParams): Promise<RunResult> {
    const encoded = encodeParams(params ?? [])!;
    const buffer = await this.client.request(
      "run",
      { stmt: this.handle(), params: encoded, rows: false },
      transferOf(encoded),
    );
    const r = decodeResult(buffer);
    return { changes: r.changes, lastInsertRowid: r.lastInsertRowid };
  }

  /** Every row, as objects. */
  async all<T = Row>(params?: BindParams): Promise<T[]> {
    const encoded = encodeParams(params ?? [])!;
    const buffer = await this.client.request(
      "run",
      { stmt: this.handle(), params: encoded, rows: true },
      transferOf(encoded),
    );
    const r = decodeResult(buffer);
    return toObjects<T>(r.columns, r.rows);
  }

  /** The first row, or undefined when there is none. */
  async get<T = Row>(params?: BindParams): Promise<T | undefined> {
    const encoded = encodeParams(params ?? [])!;
    const buffer = await this.client.request(
      "get",
      { stmt: this.handle(), params: encoded },
      transferOf(encoded),
    );
    const r = decodeResult(buffer, this.columns as string[]);
    return r.rows.length ? toObjects<T>(r.columns, r.rows)[0] : undefined;
  }

  /** Releases the statement; finalizing twice is harmless. */
  async finalize(): Promise<void> {
    if (this.finalized) return;
    this.finalized = true;
    if (!this.db.isOpen) return;
    await this.client.request("finalize", { stmt: this.id });
  }
}
