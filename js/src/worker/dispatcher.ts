/**
 * The worker's message loop, independent of the kind of worker: validates each request,
 * dispatches it to the synchronous bindings, and answers with a response whose buffers are
 * listed for transfer. Requests run strictly in arrival order.
 */
import { Connection, type PreparedStatement, VFS } from "../bindings/connection.js";
import { SQLiteError, WebSqliteError } from "../errors.js";
import { ResultCode as RC } from "../generated/constants.js";
import type { Runtime } from "../runtime/runtime.js";
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
  /** Loads a runtime; called on the first open, and again after an instance died. */
  load: () => Promise<Runtime>;
  /** Maps a database name to the path the host opens (Node: an absolute path). */
  resolvePath: (name: string) => string;
}

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

export class Dispatcher {
  private readonly options: DispatcherOptions;
  private runtime: Runtime | null = null;
  private loading: Promise<Runtime> | null = null;
  private readonly databases = new Map<number, Connection>();
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
      const result = await handler(request.args);
      const transfer = result instanceof Uint8Array ? [result.buffer as ArrayBuffer] : [];
      return { response: { v: PROTOCOL_VERSION, id, ok: true, result }, transfer };
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
    switch (message.type as RequestType) {
      case "open":
        expect(args, "name", "string");
        if (args.storage !== "file" && args.storage !== "memory") {
          throw new BadRequest('\'storage\' must be "file" or "memory"');
        }
        if (args.busyTimeoutMs !== null) expect(args, "busyTimeoutMs", "number");
        break;
      case "close":
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
    }
    return message as unknown as Request;
  }

  private async ensureRuntime(): Promise<Runtime> {
    if (this.runtime && !this.runtime.dead) return this.runtime;
    if (this.runtime?.dead) {
      // The instance crashed: its connections are gone. Start over with a fresh one.
      this.databases.clear();
      this.statements.clear();
      this.runtime = null;
    }
    this.loading ??= this.options.load();
    try {
      this.runtime = await this.loading;
    } finally {
      this.loading = null;
    }
    return this.runtime;
  }

  private database(db: number): Connection {
    const c = this.databases.get(db);
    if (c) return c;
    throw new SQLiteError(
      RC.SQLITE_MISUSE,
      "SQLITE_MISUSE",
      `database ${db} is not open (it was closed, or the worker restarted)`,
    );
  }

  private statement(stmt: number): PreparedStatement {
    const s = this.statements.get(stmt);
    if (s && !s.isFinalized) return s;
    throw new SQLiteError(
      RC.SQLITE_MISUSE,
      "SQLITE_MISUSE",
      "the statement is finalized or its database is closed",
    );
  }

  private readonly handlers: { [K in RequestType]: Handler<K> } = {
    open: async ({ name, storage, busyTimeoutMs }) => {
      if (name.length === 0) throw new TypeError("the database name must not be empty");
      const runtime = await this.ensureRuntime();
      const path = storage === "memory" ? name : this.options.resolvePath(name);
      const connection = Connection.open(runtime, path, {
        vfs: storage === "memory" ? VFS.memory : VFS.host,
      });
      if (busyTimeoutMs !== null) connection.busyTimeout(busyTimeoutMs);
      // Ids are the worker's own, never reused, so a stale id cannot reach a later database.
      const db = this.nextId++;
      this.databases.set(db, connection);
      return { db, path, sqliteVersion: runtime.sqliteVersion };
    },
    close: ({ db }) => {
      const connection = this.databases.get(db);
      if (!connection) return null; // closing twice is harmless
      this.databases.delete(db);
      for (const [id, s] of this.statements)
        if (s.connection === connection) this.statements.delete(id);
      connection.close();
      return null;
    },
    exec: ({ db, sql, params, rows }) => this.database(db).execRaw(sql, params, rows),
    prepare: ({ db, sql }) => {
      const stmt = this.database(db).prepare(sql);
      if (!stmt)
        throw new SQLiteError(RC.SQLITE_MISUSE, "SQLITE_MISUSE", "the SQL text holds no statement");
      const id = this.nextId++;
      this.statements.set(id, stmt);
      return { stmt: id, columns: stmt.columns().names };
    },
    run: ({ stmt, params, rows }) => this.statement(stmt).runRaw(params, rows),
    get: ({ stmt, params }) => {
      const s = this.statement(stmt);
      try {
        return s.bindEncoded(params).stepRaw(1);
      } finally {
        if (!s.isFinalized) s.reset().clearBindings();
      }
    },
    finalize: ({ stmt }) => {
      this.statements.get(stmt)?.finalize();
      this.statements.delete(stmt);
      return null;
    },
  };
}
