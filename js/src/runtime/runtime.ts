/**
 * The runtime: finds, compiles and instantiates web-sqlite.wasm, provides its imports (the
 * host-file seam, clock, randomness, SQLite's log), and guards every call into it.
 *
 * Loading runs in explicit stages; a failure rejects with a LOAD_FAILED error naming the stage.
 * A trap inside wasm (or anything else escaping a call) marks the instance dead: that call and
 * every later one throw INSTANCE_DEAD, so nothing hangs on a corrupted instance.
 */
import { type CoreExports, FunctionCall, ResultCode as RC } from "../generated/constants.js";
import { type SqlValue, encodeParams } from "../codec/params.js";
import { decodeError, decodeResult } from "../codec/results.js";
import { SQLiteError, WebSqliteError, carryAutocommit, misuse } from "../errors.js";
import { defaultWasmUrl } from "../platform.js";
import { type WasmSource, compile, stage } from "./compile.js";
import { type HostFileSystem, noFileSystem } from "./host.js";

export type { CoreExports };

export type { LoadStage, WasmSource } from "./compile.js";

/**
 * The key-value records behind SQLite's kvvfs (JsStorageDb): Web Storage in a page. Values are
 * ASCII text. write may throw (a QuotaExceededError becomes SQLITE_FULL).
 */
export interface KeyValueHost {
  read(cls: string, key: string): string | null;
  write(cls: string, key: string, value: string): void;
  delete(cls: string, key: string): void;
}

export interface RuntimeOptions {
  /** Overrides the default location, the package's web-sqlite.wasm (defaultWasmUrl()). */
  wasm?: WasmSource;
  /** The file system behind the "wsq-host" VFS (node:fs in Node, OPFS in a browser worker). */
  host?: HostFileSystem;
  /** Receives SQLite's log (sqlite3_log). Default: console.warn. */
  log?: (code: number, message: string) => void;
  /** The records of the "kvvfs" VFS (JsStorageDb); without one it stores nothing. */
  kv?: KeyValueHost;
}

/**
 * A host function (a user-defined SQL function): called with what the call is for
 * (FunctionCall.SCALAR / STEP / FINAL), the aggregate group (0 for scalars) and the arguments.
 * Its return value is the SQL result (ignored for STEP); a throw fails the statement.
 */
export type HostFunction = (call: number, group: number, args: SqlValue[]) => unknown;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function defaultLog(code: number, message: string): void {
  console.warn(`sqlite (${code}): ${message}`);
}

/** The SQLite code a failed host operation reports when the host throws. */
function hostErrorCode(e: unknown, fallback: number): number {
  const name = (e as { name?: string } | null)?.name;
  const code = (e as { code?: string } | null)?.code;
  if (name === "QuotaExceededError" || code === "ENOSPC" || code === "EDQUOT")
    return RC.SQLITE_FULL;
  return fallback;
}

export class Runtime {
  readonly exports: CoreExports;
  readonly sqliteVersion: string;
  /** Set once the instance trapped; every later call throws it. */
  dead: WebSqliteError | null = null;
  /** Set when a key-value write hit the storage quota during the current call. */
  quotaExceeded = false;
  /**
   * Called when a connection is about to commit a transaction that wrote (SQLite's commit
   * hook), during a call: the dispatcher tells the page of another tab that its request wrote.
   */
  committing: (() => void) | null = null;
  /** 16 bytes of wasm memory for out-parameters, allocated once. */
  readonly outPtr: number;
  /** Whether this is the encryption build (web-sqlite-cipher.wasm): it opens keys. */
  readonly hasCipher: boolean;
  /** The files open here (a VFS and a path), with how many connections each (runtimes.ts). */
  private readonly files = new Map<string, number>();

  private readonly memory: WebAssembly.Memory;
  private buffer: ArrayBuffer;
  private bytes: Uint8Array;
  private dataView: DataView;
  /** Addresses of the response record's status, data and len fields (wsq_response_layout). */
  private readonly responseData: number;
  private readonly responseLen: number;
  /** Where the deadline of the next calls is written (wsq_deadline_slot). */
  private readonly deadlinePtr: number;
  private deadlineMs = 0;
  private scratchPtr = 0;
  private scratchSize = 0;
  /** Host functions by the id the core passes back. */
  private readonly functions = new Map<number, HostFunction>();
  private nextFunctionId = 1;
  /** Non-zero while a host function runs: SQLite is mid-statement and may not be re-entered. */
  private callbackDepth = 0;
  private answerPtr = 0;
  private answerSize = 0;

  /** Use loadRuntime(). */
  constructor(exports: CoreExports) {
    this.exports = exports;
    this.memory = exports.memory;
    this.buffer = this.memory.buffer;
    this.bytes = new Uint8Array(this.buffer);
    this.dataView = new DataView(this.buffer);
    const response = exports.wsq_last_response();
    const layout = exports.wsq_response_layout();
    this.responseData = response + this.u32At(layout + 4);
    this.responseLen = response + this.u32At(layout + 8);
    this.deadlinePtr = exports.wsq_deadline_slot();
    this.outPtr = exports.wsq_alloc(16);
    this.sqliteVersion = this.cString(exports.wsq_sqlite_version());
    this.hasCipher = exports.wsq_has_cipher() === 1;
  }

  /** Counts a connection to file (Connection's "vfs:path") opened (+1) or closed (-1). */
  opened(file: string, delta: 1 | -1): void {
    const n = (this.files.get(file) ?? 0) + delta;
    if (n > 0) this.files.set(file, n);
    else this.files.delete(file);
  }

  /** Whether a connection to file is open here. */
  holds(file: string): boolean {
    return this.files.has(file);
  }

  /** What the first bytes of a database file say it is (FileKind: PLAIN, ENCRYPTED, OTHER). */
  fileKind(header: Uint8Array): number {
    return this.invoke((x) => {
      const [, , ptr, len] = this.copyIn("", header.subarray(0, 100));
      return x.wsq_file_kind(ptr, len);
    });
  }

  /** How many connections to file are open here. */
  openCount(file: string): number {
    return this.files.get(file) ?? 0;
  }

  /** A view of wasm memory, renewed after the memory grew (growth detaches old views). */
  u8(): Uint8Array {
    if (this.memory.buffer !== this.buffer) this.refresh();
    return this.bytes;
  }

  view(): DataView {
    if (this.memory.buffer !== this.buffer) this.refresh();
    return this.dataView;
  }

  private refresh(): void {
    this.buffer = this.memory.buffer;
    this.bytes = new Uint8Array(this.buffer);
    this.dataView = new DataView(this.buffer);
  }

  cString(ptr: number): string {
    const u8 = this.u8();
    let end = ptr;
    while (u8[end] !== 0) end++;
    return decoder.decode(u8.subarray(ptr, end));
  }

  /**
   * Runs fn, which calls into wasm. Anything escaping it (a trap, or a JavaScript exception
   * that unwound through wasm frames) leaves the instance in an unknown state: it is marked
   * dead and the error says so.
   */
  invoke<T>(fn: (exports: CoreExports) => T): T {
    if (this.dead) throw this.dead;
    this.quotaExceeded = false;
    if (this.callbackDepth > 0) {
      throw misuse(
        "a user-defined function cannot use the database: it runs while SQLite is inside a statement",
      );
    }
    try {
      return fn(this.exports);
    } catch (e) {
      if (e instanceof WebSqliteError) throw e;
      const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      this.dead = new WebSqliteError(
        "INSTANCE_DEAD",
        `the SQLite wasm instance crashed (${what}); its open databases are closed. ` +
          `Open them again to continue (committed data is safe on disk).`,
        { cause: e },
      );
      throw this.dead;
    }
  }

  /**
   * Copies text and params into the scratch buffer. Returns [textPtr, textLen, paramsPtr,
   * paramsLen]; text is not NUL-terminated. Valid until the next call that uses the scratch.
   */
  copyIn(text: string, params: Uint8Array | null = null): [number, number, number, number] {
    const paramsLen = params ? params.length : 0;
    const maxText = text.length * 3;
    const need = maxText + paramsLen + 8;
    if (need > this.scratchSize) {
      // The core keeps the scratch buffer until a larger one is asked for.
      this.scratchPtr = this.exports.wsq_scratch(Math.max(need, 4096));
      if (this.scratchPtr === 0) {
        this.scratchSize = 0;
        throw new WebSqliteError("NOMEM", "out of wasm memory while passing SQL text to SQLite");
      }
      this.scratchSize = Math.max(need, 4096);
    }
    const ptr = this.scratchPtr;
    const u8 = this.u8();
    const textLen =
      text.length === 0 ? 0 : encoder.encodeInto(text, u8.subarray(ptr, ptr + maxText)).written;
    const paramsPtr = ptr + textLen;
    if (params) u8.set(params, paramsPtr);
    return [ptr, textLen, paramsPtr, paramsLen];
  }

  /**
   * The error of the last call, typed. SQLite reports a failed key-value write as an I/O error
   * at some points; when the storage quota was the cause it becomes SQLITE_FULL.
   */
  error(sql?: string): SQLiteError {
    const e = decodeError(this.responseBytes(), sql);
    const primary = e.resultCode & 0xff;
    if (this.quotaExceeded && (primary === RC.SQLITE_IOERR || primary === RC.SQLITE_FULL)) {
      const full = new SQLiteError(
        RC.SQLITE_FULL,
        "database or disk is full: the browser's storage quota is exhausted. The database is " +
          "intact; free space (smaller data, clearStorage()) and retry",
        { offset: e.offset },
      );
      return carryAutocommit(e, full);
    }
    return e;
  }

  /** The bytes of the last response, as a view into wasm memory (valid until the next call). */
  responseBytes(): Uint8Array {
    const view = this.view();
    const data = view.getUint32(this.responseData, true);
    const len = view.getUint32(this.responseLen, true);
    return this.u8().subarray(data, data + len);
  }

  /** A copy of the last response's bytes, in a buffer of its own (transferable). */
  responseCopy(): Uint8Array {
    return this.responseBytes().slice();
  }

  /**
   * Statements that the next calls on connections and statements run stop with
   * SQLITE_INTERRUPT at deadlineMs (Date.now() clock; 0: never). Written into wasm memory, not
   * passed by a call.
   */
  deadline(deadlineMs: number): void {
    if (deadlineMs === this.deadlineMs) return;
    this.view().setFloat64(this.deadlinePtr, deadlineMs, true);
    this.deadlineMs = deadlineMs;
  }

  u32At(ptr: number): number {
    return this.view().getUint32(ptr, true);
  }

  /** Registers a host function; returns the id to give wsq_create_function. */
  addFunction(fn: HostFunction): number {
    const id = this.nextFunctionId++;
    this.functions.set(id, fn);
    return id;
  }

  removeFunction(id: number): void {
    this.functions.delete(id);
  }

  /** The wsq_host_function import: runs the host function and answers the call. */
  callFunction(id: number, call: number, group: number, args: number, len: number, ctx: number) {
    const fn = this.functions.get(id);
    this.callbackDepth++;
    try {
      if (!fn) throw new Error(`the function (id ${id}) was removed`);
      const values = decodeResult(this.u8().subarray(args, args + len)).rows[0] ?? [];
      const value = fn(call, group, values);
      if (call === FunctionCall.STEP) return;
      let encoded: Uint8Array;
      try {
        encoded = encodeParams([(value === undefined ? null : value) as SqlValue], false)!;
      } catch {
        throw new TypeError(
          `the function returned an unsupported value (${typeof value}); ` +
            "return null, a number, bigint, string, boolean or Uint8Array",
        );
      }
      const ptr = this.answerBuffer(encoded.length);
      this.u8().set(encoded, ptr);
      this.exports.wsq_function_result(ctx, ptr, encoded.length);
    } catch (e) {
      const message = encoder.encode(e instanceof Error ? e.message : String(e));
      const ptr = this.answerBuffer(message.length);
      this.u8().set(message, ptr);
      this.exports.wsq_function_error(ctx, ptr, message.length);
    } finally {
      this.callbackDepth--;
    }
  }

  private answerBuffer(n: number): number {
    if (n > this.answerSize) {
      if (this.answerPtr) this.exports.wsq_free(this.answerPtr);
      this.answerSize = Math.max(n, 256);
      this.answerPtr = this.exports.wsq_alloc(this.answerSize);
      if (this.answerPtr === 0) {
        this.answerSize = 0;
        throw new WebSqliteError("NOMEM", "out of wasm memory for a function result");
      }
    }
    return this.answerPtr;
  }
}

function imports(
  getRuntime: () => Runtime,
  host: HostFileSystem,
  log: RuntimeOptions["log"],
  kv: KeyValueHost | undefined,
) {
  const rt = getRuntime;
  const str = (ptr: number, len: number) =>
    decoder.decode(
      rt()
        .u8()
        .subarray(ptr, ptr + len),
    );
  const guard =
    <A extends unknown[]>(fallback: number, fn: (...args: A) => number) =>
    (...args: A): number => {
      try {
        return fn(...args);
      } catch (e) {
        return hostErrorCode(e, fallback);
      }
    };
  return {
    env: {
      wsq_host_open: guard(
        RC.SQLITE_CANTOPEN,
        (p: number, n: number, flags: number, out: number) => {
          const h = host.open(str(p, n), flags);
          if (h < 0) return -h;
          rt().view().setInt32(out, h, true);
          return RC.SQLITE_OK;
        },
      ),
      wsq_host_close: guard(RC.SQLITE_IOERR_CLOSE, (h: number) => host.close(h)),
      wsq_host_read: guard(
        RC.SQLITE_IOERR_READ,
        (h: number, p: number, n: number, off: number, out: number) => {
          const got = host.read(
            h,
            rt()
              .u8()
              .subarray(p, p + n),
            off,
          );
          if (got < 0) return -got;
          rt().view().setUint32(out, got, true);
          return RC.SQLITE_OK;
        },
      ),
      wsq_host_write: guard(RC.SQLITE_IOERR_WRITE, (h: number, p: number, n: number, off: number) =>
        host.write(
          h,
          rt()
            .u8()
            .subarray(p, p + n),
          off,
        ),
      ),
      wsq_host_truncate: guard(RC.SQLITE_IOERR_TRUNCATE, (h: number, size: number) =>
        host.truncate(h, size),
      ),
      wsq_host_sync: guard(RC.SQLITE_IOERR_FSYNC, (h: number, flags: number) =>
        host.sync(h, flags),
      ),
      wsq_host_size: guard(RC.SQLITE_IOERR_FSTAT, (h: number, out: number) => {
        const size = host.size(h);
        if (size < 0) return -size;
        rt().view().setFloat64(out, size, true);
        return RC.SQLITE_OK;
      }),
      wsq_host_delete: guard(RC.SQLITE_IOERR_DELETE, (p: number, n: number, syncDir: number) =>
        host.delete(str(p, n), syncDir !== 0),
      ),
      wsq_host_access: guard(
        RC.SQLITE_IOERR_ACCESS,
        (p: number, n: number, flags: number, out: number) => {
          rt()
            .view()
            .setInt32(out, host.access(str(p, n), flags), true);
          return RC.SQLITE_OK;
        },
      ),
      wsq_host_random: (p: number, n: number) => {
        // getRandomValues fills at most 65536 bytes per call.
        const u8 = rt().u8();
        for (let at = 0; at < n; at += 65536) {
          crypto.getRandomValues(u8.subarray(p + at, p + Math.min(n, at + 65536)));
        }
      },
      wsq_host_function: (
        id: number,
        call: number,
        group: number,
        args: number,
        len: number,
        ctx: number,
      ) => rt().callFunction(id, call, group, args, len, ctx),
      wsq_host_kv_read: (
        cp: number,
        cn: number,
        kp: number,
        kn: number,
        buf: number,
        n: number,
      ) => {
        try {
          const value = kv?.read(str(cp, cn), str(kp, kn)) ?? null;
          if (value === null) return -1;
          const bytes = encoder.encode(value);
          if (n <= 0) return bytes.length;
          const copied = Math.min(bytes.length, n - 1);
          const u8 = rt().u8();
          u8.set(bytes.subarray(0, copied), buf);
          u8[buf + copied] = 0;
          return copied;
        } catch {
          return -1;
        }
      },
      wsq_host_kv_write: (
        cp: number,
        cn: number,
        kp: number,
        kn: number,
        dp: number,
        dn: number,
      ) => {
        if (!kv) return RC.SQLITE_IOERR;
        try {
          kv.write(str(cp, cn), str(kp, kn), str(dp, dn));
          return RC.SQLITE_OK;
        } catch (e) {
          const code = hostErrorCode(e, RC.SQLITE_IOERR);
          if (code === RC.SQLITE_FULL) rt().quotaExceeded = true;
          return code;
        }
      },
      wsq_host_kv_delete: (cp: number, cn: number, kp: number, kn: number) => {
        try {
          kv?.delete(str(cp, cn), str(kp, kn));
          return RC.SQLITE_OK;
        } catch {
          return RC.SQLITE_IOERR_DELETE;
        }
      },
      wsq_host_now_ms: () => Date.now(),
      wsq_host_clock_ms: () => performance.now(),
      wsq_host_committing: () => rt().committing?.(),
      wsq_host_log: (code: number, p: number, n: number) => {
        try {
          (log ?? defaultLog)(code, str(p, n));
        } catch {
          // A failing log callback must not break SQLite.
        }
      },
    },
    // The one WASI function the core links: the clock of SQLite's kvvfs (gettimeofday).
    wasi_snapshot_preview1: {
      clock_time_get: (_id: number, _precision: bigint, out: number) => {
        rt()
          .view()
          .setBigUint64(out, BigInt(Date.now()) * 1_000_000n, true);
        return 0;
      },
    },
  };
}

/** Loads and initializes the core. */
export async function loadRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  const module = await compile(options.wasm ?? defaultWasmUrl());
  let runtime: Runtime | null = null;
  const getRuntime = () => {
    if (!runtime) throw new Error("host called before the runtime was ready");
    return runtime;
  };
  const instance = await stage("instantiate", () =>
    WebAssembly.instantiate(
      module,
      imports(getRuntime, options.host ?? noFileSystem, options.log, options.kv),
    ),
  );
  const exports = instance.exports as unknown as CoreExports;
  await stage("initialize", () => {
    exports._initialize();
    runtime = new Runtime(exports);
  });
  await stage("sqlite-init", () => {
    const rc = exports.wsq_init();
    if (rc !== 0) throw new Error(`wsq_init returned ${rc}`);
  });
  return runtime!;
}
