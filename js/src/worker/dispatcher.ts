/**
 * The worker's message loop, independent of the kind of worker: validates each request,
 * dispatches it to the synchronous bindings, and answers with a response whose buffers are
 * listed for transfer. Requests run strictly in arrival order.
 */
import { Connection, type PreparedStatement, VFS } from "../bindings/connection.js";
import { Database, selfTest } from "../bindings/database.js";
import { SQLiteError, WebSqliteError } from "../errors.js";
import { OpenFlag, ResultCode as RC, ResultFlag } from "../generated/constants.js";
import type { HostFileSystem } from "../runtime/host.js";
import type { Runtime } from "../runtime/runtime.js";
import { type DatabaseStore, chunksOf, openHere } from "../runtime/store.js";
import {
  type Args,
  PROTOCOL_VERSION,
  type Request,
  type RequestMap,
  type RequestType,
  type Response,
  type SerializedError,
} from "./protocol.js";

export interface DispatcherOptions {
  /** Loads a runtime over host; called on the first open, and again after an instance died. */
  load: (host: HostFileSystem) => Promise<Runtime>;
  /** Where "opfs" / "file" databases live. */
  store: DatabaseStore;
}

/** Per-connection settings of persistent databases, chosen by measurement (docs/PERFORMANCE.md). */
/** Rows per chunk when a request does not say. */
const DEFAULT_CHUNK_ROWS = 1024;

type Handler<K extends RequestType> = (
  args: Args<K>,
) => Promise<RequestMap[K]["result"]> | RequestMap[K]["result"];

class BadRequest extends WebSqliteError {
  constructor(message: string) {
    super("BAD_REQUEST", `malformed request to the web-sqlite worker: ${message}`);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null;
}

function expect(
  args: Record<string, unknown>,
  key: string,
  type: "string" | "number" | "boolean",
): void {
  if (typeof args[key] !== type) throw new BadRequest(`'${key}' must be a ${type}`);
}

function expectBytes(args: Record<string, unknown>, key: string, nullable: boolean): void {
  const v = args[key];
  if (v instanceof Uint8Array || (nullable && v === null)) return;
  throw new BadRequest(`'${key}' must be a Uint8Array${nullable ? " or null" : ""}`);
}

function expectOneOf(args: Record<string, unknown>, key: string, values: string[]): void {
  if (!values.includes(args[key] as string)) {
    throw new BadRequest(`'${key}' must be one of ${values.map((v) => `"${v}"`).join(", ")}`);
  }
}

/** The buffers of a result, to transfer rather than copy. */
function transferables(result: unknown): ArrayBuffer[] {
  if (result instanceof Uint8Array) return [result.buffer as ArrayBuffer];
  if (Array.isArray(result)) return result.flatMap(transferables);
  if (isObject(result)) {
    const chunk = (result as { chunk?: unknown }).chunk;
    return chunk instanceof Uint8Array ? [chunk.buffer as ArrayBuffer] : [];
  }
  return [];
}

const SQLITE_HEADER = "SQLite format 3\0";

/**
 * Checks that a stream of bytes starts like a SQLite database, and switches a WAL-mode header
 * to rollback mode (an imported file comes without its WAL). Counts the bytes into total.
 */
async function* databaseBytes(
  chunks: AsyncIterable<Uint8Array>,
  total: { bytes: number },
): AsyncIterable<Uint8Array> {
  let head: Uint8Array | null = new Uint8Array(0);
  const notADatabase = () =>
    new SQLiteError(
      RC.SQLITE_NOTADB,
      "SQLITE_NOTADB",
      "importDatabase: the bytes are not a SQLite database (no 'SQLite format 3' header)",
    );
  for await (const chunk of chunks) {
    total.bytes += chunk.length;
    if (!head) {
      yield chunk;
      continue;
    }
    const joined: Uint8Array = new Uint8Array(head.length + chunk.length);
    joined.set(head);
    joined.set(chunk, head.length);
    if (joined.length < 100) {
      head = joined;
      continue;
    }
    if (String.fromCharCode(...joined.subarray(0, 16)) !== SQLITE_HEADER) throw notADatabase();
    if (joined[18] === 2 && joined[19] === 2) joined[18] = joined[19] = 1;
    head = null;
    yield joined;
  }
  if (head) throw notADatabase();
}

export function serializeError(e: unknown): SerializedError {
  if (e instanceof SQLiteError) {
    return {
      name: e.name,
      message: e.message,
      code: e.code,
      resultCode: e.resultCode,
      offset: e.offset,
      stack: e.stack,
    };
  }
  if (e instanceof WebSqliteError)
    return { name: e.name, message: e.message, code: e.code, stack: e.stack };
  if (e instanceof Error) return { name: e.name, message: e.message, stack: e.stack };
  return { name: "Error", message: String(e) };
}

/**
 * SQLITE_INTERRUPT caused by a passed deadline becomes TIMEOUT (e null: the request never
 * started).
 */
function timedOut(e: unknown, deadline: number): unknown {
  if (e !== null && (!(e instanceof SQLiteError) || e.resultCode !== RC.SQLITE_INTERRUPT)) return e;
  if (deadline === 0 || Date.now() < deadline) return e;
  return new WebSqliteError(
    "TIMEOUT",
    e === null
      ? "the request waited past its timeoutMs in the worker's queue and did not run"
      : "the request ran past its timeoutMs and was interrupted; what it wrote was rolled back",
    { cause: e ?? undefined },
  );
}

export class Dispatcher {
  private readonly options: DispatcherOptions;
  private runtime: Runtime | null = null;
  private loading: Promise<Runtime> | null = null;
  private readonly databases = new Map<number, Database>();
  private readonly statements = new Map<number, PreparedStatement>();
  private nextId = 1;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: DispatcherOptions) {
    this.options = options;
  }

  /** Queues a message; resolves with the response and the buffers to transfer. */
  handle(message: unknown): Promise<{ response: Response; transfer: ArrayBuffer[] }> {
    const run = this.queue.then(() => this.dispatch(message));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async dispatch(
    message: unknown,
  ): Promise<{ response: Response; transfer: ArrayBuffer[] }> {
    const id = isObject(message) && Number.isInteger(message.id) ? (message.id as number) : -1;
    try {
      const request = this.validate(message);
      const handler = this.handlers[request.type] as Handler<RequestType>;
      const deadline = (request.args as { deadline?: number }).deadline ?? 0;
      // A request that waited in the queue past its deadline does not start: the client has
      // already reported TIMEOUT, and what it reports must be what happened.
      if (deadline > 0 && Date.now() >= deadline) throw timedOut(null, deadline);
      try {
        const result = await handler(request.args);
        return {
          response: { v: PROTOCOL_VERSION, id, ok: true, result },
          transfer: transferables(result),
        };
      } catch (e) {
        const error = serializeError(timedOut(e, deadline));
        const connection = this.connectionOf(request);
        if (connection?.isOpen && !connection.runtime.dead && connection.state().autocommit) {
          error.autocommit = true;
        }
        return { response: { v: PROTOCOL_VERSION, id, ok: false, error }, transfer: [] };
      }
    } catch (e) {
      return {
        response: { v: PROTOCOL_VERSION, id, ok: false, error: serializeError(e) },
        transfer: [],
      };
    }
  }

  private validate(message: unknown): Request {
    if (!isObject(message)) throw new BadRequest("not an object");
    if (message.v !== PROTOCOL_VERSION) {
      throw new BadRequest(`protocol version ${String(message.v)}, expected ${PROTOCOL_VERSION}`);
    }
    if (!Number.isInteger(message.id)) throw new BadRequest("'id' must be an integer");
    if (typeof message.type !== "string" || !Object.hasOwn(this.handlers, message.type)) {
      throw new BadRequest(`unknown request type '${String(message.type)}'`);
    }
    if (!isObject(message.args)) throw new BadRequest("'args' must be an object");
    const args = message.args;
    const type = message.type as RequestType;
    if (
      "deadline" in args ||
      ["exec", "run", "get", "iterate", "next", "batch", "import"].includes(type)
    ) {
      expect(args, "deadline", "number");
    }
    switch (type) {
      case "open":
        expect(args, "name", "string");
        expectOneOf(args, "storage", ["opfs", "file", "memory"]);
        expectOneOf(args, "durability", ["full", "relaxed"]);
        if (args.busyTimeoutMs !== null) expect(args, "busyTimeoutMs", "number");
        break;
      case "close":
      case "export":
        expect(args, "db", "number");
        break;
      case "exec":
        expect(args, "db", "number");
        expect(args, "sql", "string");
        expectBytes(args, "params", true);
        expect(args, "rows", "boolean");
        break;
      case "prepare":
        expect(args, "db", "number");
        expect(args, "sql", "string");
        break;
      case "run":
        expect(args, "stmt", "number");
        expectBytes(args, "params", false);
        expect(args, "rows", "boolean");
        break;
      case "get":
        expect(args, "stmt", "number");
        expectBytes(args, "params", false);
        break;
      case "finalize":
        expect(args, "stmt", "number");
        break;
      case "iterate":
        expect(args, "db", "number");
        expect(args, "sql", "string");
        expectBytes(args, "params", true);
        expect(args, "chunkRows", "number");
        break;
      case "next":
        expect(args, "cursor", "number");
        expect(args, "chunkRows", "number");
        break;
      case "batch":
        expect(args, "db", "number");
        if (!Array.isArray(args.items)) throw new BadRequest("'items' must be an array");
        for (const item of args.items as unknown[]) {
          if (!isObject(item)) throw new BadRequest("every batch item must be an object");
          expect(item, "sql", "string");
          expectBytes(item, "params", true);
        }
        break;
      case "import":
        expect(args, "name", "string");
        if (
          !(args.source instanceof Uint8Array) &&
          !(typeof ReadableStream !== "undefined" && args.source instanceof ReadableStream)
        ) {
          throw new BadRequest("'source' must be a Uint8Array or a ReadableStream");
        }
        break;
      case "delete":
        expect(args, "name", "string");
        break;
      case "stats":
        expect(args, "db", "number");
        break;
      case "selfTest":
        expectOneOf(args, "storage", ["opfs", "file", "memory"]);
        break;
      case "list":
        break;
    }
    return message as unknown as Request;
  }

  private async ensureRuntime(): Promise<Runtime> {
    if (this.runtime && !this.runtime.dead) return this.runtime;
    if (this.runtime?.dead) {
      // The instance crashed: its connections are gone, and their files are let go. Start over
      // with a fresh instance.
      for (const db of this.databases.values()) await db.closeAsync();
      this.databases.clear();
      this.statements.clear();
      this.runtime = null;
    }
    this.loading ??= this.options.load(this.options.store.host);
    try {
      this.runtime = await this.loading;
    } finally {
      this.loading = null;
    }
    return this.runtime;
  }

  /** The connection of db, with the request's deadline set. */
  private database(db: number, deadline = 0): Connection {
    const c = this.open(db).connection;
    c.deadline(deadline);
    return c;
  }

  private open(db: number): Database {
    const open = this.databases.get(db);
    if (open) return open;
    throw new SQLiteError(
      RC.SQLITE_MISUSE,
      "SQLITE_MISUSE",
      `database ${db} is not open (it was closed, or the worker restarted)`,
    );
  }

  private statement(stmt: number, deadline = 0): PreparedStatement {
    const s = this.statements.get(stmt);
    if (s && !s.isFinalized) {
      s.connection.deadline(deadline);
      return s;
    }
    throw new SQLiteError(
      RC.SQLITE_MISUSE,
      "SQLITE_MISUSE",
      "the statement is finalized or its database is closed",
    );
  }

  /** The connection a request runs on, if it names one that is open. */
  private connectionOf(request: Request): Connection | undefined {
    const args = request.args as { db?: number; stmt?: number; cursor?: number };
    if (typeof args.db === "number") return this.databases.get(args.db)?.connection;
    const stmt = this.statements.get(args.stmt ?? args.cursor ?? -1);
    return stmt?.connection;
  }

  private register(stmt: PreparedStatement): number {
    const id = this.nextId++;
    this.statements.set(id, stmt);
    return id;
  }

  /** Steps a cursor once; finalizes it after the last chunk. */
  private chunk(id: number, stmt: PreparedStatement, chunkRows: number) {
    const rows = Math.max(1, Math.floor(chunkRows) || DEFAULT_CHUNK_ROWS);
    try {
      const chunk = stmt.stepRaw(rows);
      const more = (new DataView(chunk.buffer).getUint32(4, true) & ResultFlag.MORE) !== 0;
      if (!more) this.finalizeStatement(id);
      return { chunk, more };
    } catch (e) {
      this.finalizeStatement(id);
      throw e;
    }
  }

  private finalizeStatement(id: number): void {
    this.statements.get(id)?.finalize();
    this.statements.delete(id);
  }

  /** Opens scratch with SQLite and checks it: an import never replaces a database with junk. */
  private async check(runtime: Runtime, scratch: string): Promise<void> {
    const store = this.options.store;
    await store.acquire(scratch);
    try {
      const c = Connection.open(runtime, scratch, {
        vfs: VFS.host,
        flags: OpenFlag.SQLITE_OPEN_READWRITE,
      });
      try {
        const { rows } = c.exec("PRAGMA quick_check", null, { rows: true });
        if (rows.length !== 1 || rows[0][0] !== "ok") {
          throw new SQLiteError(
            RC.SQLITE_CORRUPT,
            "SQLITE_CORRUPT",
            `importDatabase: the database is corrupt (quick_check: ${String(rows[0]?.[0])})`,
          );
        }
      } finally {
        c.close();
      }
    } finally {
      await store.release(scratch);
    }
  }

  private readonly handlers: { [K in RequestType]: Handler<K> } = {
    open: async ({ name, storage, durability, busyTimeoutMs }) => {
      const runtime = await this.ensureRuntime();
      const db = await Database.open(name, {
        storage,
        durability,
        environment: { runtime, store: this.options.store },
      });
      const { connection } = db;
      if (busyTimeoutMs !== null) connection.busyTimeout(busyTimeoutMs);
      // Ids are the worker's own, never reused, so a stale id cannot reach a later database.
      const id = this.nextId++;
      this.databases.set(id, db);
      return { db: id, path: connection.path, sqliteVersion: connection.runtime.sqliteVersion };
    },
    close: async ({ db }) => {
      const open = this.databases.get(db);
      if (!open) return null; // closing twice is harmless
      this.databases.delete(db);
      for (const [id, s] of this.statements)
        if (s.connection === open.connection) this.statements.delete(id);
      await open.closeAsync();
      return null;
    },
    exec: ({ db, sql, params, rows, deadline }) =>
      this.database(db, deadline).execRaw(sql, params, rows),
    prepare: ({ db, sql }) => {
      const stmt = this.database(db).prepare(sql);
      if (!stmt)
        throw new SQLiteError(RC.SQLITE_MISUSE, "SQLITE_MISUSE", "the SQL text holds no statement");
      return { stmt: this.register(stmt), columns: stmt.columns().names };
    },
    run: ({ stmt, params, rows, deadline }) => this.statement(stmt, deadline).runRaw(params, rows),
    get: ({ stmt, params, deadline }) => {
      const s = this.statement(stmt, deadline);
      try {
        return s.bindEncoded(params).stepRaw(1);
      } finally {
        if (!s.isFinalized) s.reset().clearBindings();
      }
    },
    finalize: ({ stmt }) => {
      this.finalizeStatement(stmt);
      return null;
    },
    iterate: ({ db, sql, params, chunkRows, deadline }) => {
      const stmt = this.database(db, deadline).prepare(sql, { persistent: false });
      if (!stmt)
        throw new SQLiteError(RC.SQLITE_MISUSE, "SQLITE_MISUSE", "the SQL text holds no statement");
      const id = this.register(stmt);
      try {
        if (params) stmt.bindEncoded(params);
      } catch (e) {
        this.finalizeStatement(id);
        throw e;
      }
      const columns = stmt.columns().names;
      const { chunk, more } = this.chunk(id, stmt, chunkRows);
      return { cursor: more ? id : 0, columns, chunk };
    },
    next: ({ cursor, chunkRows, deadline }) => {
      const { chunk, more } = this.chunk(cursor, this.statement(cursor, deadline), chunkRows);
      return { done: !more, chunk };
    },
    batch: ({ db, items, deadline }) => {
      const c = this.database(db, deadline);
      const outer = c.state().autocommit;
      c.execRaw(outer ? "BEGIN" : "SAVEPOINT wsq_batch", null, false, false);
      const results: Uint8Array[] = [];
      try {
        items.forEach(({ sql, params }, i) => {
          try {
            results.push(c.execRaw(sql, params, true));
          } catch (e) {
            if (e instanceof SQLiteError) {
              throw new SQLiteError(
                e.resultCode,
                e.code,
                `batch item ${i}: ${e.message}`,
                e.offset,
              );
            }
            throw e;
          }
        });
        c.execRaw(outer ? "COMMIT" : "RELEASE wsq_batch", null, false, false);
      } catch (e) {
        try {
          c.execRaw(
            outer ? "ROLLBACK" : "ROLLBACK TO wsq_batch; RELEASE wsq_batch",
            null,
            false,
            false,
          );
        } catch {
          // SQLite already rolled back (after SQLITE_FULL or an interrupt, for example).
        }
        throw e;
      }
      return results;
    },
    export: ({ db }) => this.database(db).export(),
    import: async ({ name, source, deadline }) => {
      const store = this.options.store;
      store.path(name);
      if (store.isAcquired(name)) throw openHere(name, "import over");
      const runtime = await this.ensureRuntime();
      const total = { bytes: 0 };
      let scratch: string | null = null;
      try {
        scratch = await store.writeScratch(name, databaseBytes(chunksOf(source, deadline), total));
        await this.check(runtime, scratch);
        if (store.isAcquired(name)) throw openHere(name, "import over");
        await store.replace(scratch, name);
      } catch (e) {
        if (scratch) await store.discard(scratch);
        throw e;
      }
      return { bytes: total.bytes };
    },
    delete: ({ name }) => this.options.store.remove(name),
    stats: ({ db }) => this.open(db).stats(),
    selfTest: async ({ storage }) =>
      selfTest(storage, {
        environment: { runtime: await this.ensureRuntime(), store: this.options.store },
      }),
    list: () => this.options.store.list(),
  };
}
