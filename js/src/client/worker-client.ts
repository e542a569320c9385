/**
 * The main thread's side of the protocol: request ids, pending promises, errors rebuilt with
 * their type. If the worker dies every pending call rejects, and the next request starts a new
 * worker.
 */
import { SQLiteError, WebSqliteError, autocommitAfter } from "../errors.js";
import {
  type FeedMessage,
  PROTOCOL_VERSION,
  type Response,
  type SerializedError,
  type SpawnWorker,
  type WorkerEvent,
  type WorkerPort,
  setupMessage,
} from "../worker/protocol.js";
import type { Result } from "../worker/handlers.js";
import type { Args, Request, RequestType } from "../worker/requests.js";

/**
 * How a request ended. The error of a failed request is built by request() itself after its
 * await, so that its stack holds the caller's async frames (no stack is captured up front).
 */
type Outcome =
  | { kind: "response"; response: Response }
  | { kind: "timeout" }
  | { kind: "died"; reason: string; code: string; committed: boolean };

/**
 * WORKER_DIED errors of requests that left no trace: the worker (a holder of another tab, which
 * says when a request is about to commit what it wrote) ended before any commit of theirs.
 */
export const leftNoTrace = new WeakSet<Error>();

function rebuild(e: SerializedError): Error {
  let error: Error;
  if (e.resultCode !== undefined) {
    error = new SQLiteError(e.resultCode, e.message, { offset: e.offset });
  } else if (e.code) {
    error = new WebSqliteError(e.code, e.message);
  } else if (e.name === "TypeError") {
    error = new TypeError(e.message);
  } else if (e.name === "RangeError") {
    error = new RangeError(e.message);
  } else {
    error = new Error(e.message);
    error.name = e.name;
  }
  // The caller's stack first (where the call was made), then where it failed in the worker.
  if (e.autocommit) autocommitAfter.add(error);
  if (e.stack) {
    error.stack = `${error.stack}\n    --- in the worker ---\n${e.stack.split("\n").slice(1).join("\n")}`;
  }
  return error;
}

/** Calls a user's listener: one that throws must not break the client. */
export function callSafely<A extends unknown[]>(listener: (...args: A) => void, ...args: A): void {
  try {
    listener(...args);
  } catch {
    // The listener's own failure is its own.
  }
}

function workerDied(reason: string, code = "WORKER_DIED"): WebSqliteError {
  if (code === "LOAD_FAILED") {
    return new WebSqliteError(code, `web-sqlite's worker did not start: ${reason}`);
  }
  if (code === "DATABASE_UNREACHABLE") return new WebSqliteError(code, reason);
  return new WebSqliteError(
    "WORKER_DIED",
    `the web-sqlite worker stopped (${reason}); its open databases are closed. Open them again to continue.`,
  );
}

export class WorkerClient {
  private readonly spawn: SpawnWorker;
  private port: Promise<WorkerPort> | null = null;
  private readonly pending = new Map<number, (outcome: Outcome) => void>();
  /** Requests the worker said are committing (only a holder of another tab says so). */
  private readonly committing = new Set<number>();
  private nextId = 1;
  /** Receive SQLite's log from the worker (the log option of each open database). */
  readonly logListeners = new Set<(code: number, message: string) => void>();
  /** Called when the worker ends (for another tab's holder: the database moves). */
  readonly diedListeners = new Set<() => void>();
  /** Incremented each time a worker dies; databases opened before are gone. */
  generation = 0;
  /** How long the current worker took to start and load the wasm (once it has). */
  startedInMs = 0;
  private lastDeath = { reason: "", code: "WORKER_DIED" };
  private loaded: Promise<unknown> | null = null;

  /** A port to the broker for each new worker (pages that share databases between tabs). */
  private readonly join: () => MessagePort | null;

  /** Where the commits the worker tells of go (the page's change feed). */
  private readonly changes: (message: FeedMessage) => void;

  /** Whether the worker says when a request is about to commit (by posting its id). */
  private readonly acks: boolean;

  /**
   * Where the worker finds the wasm (a URL the page resolved), sent in the setup of each new
   * worker; none for a port to a worker another tab set up.
   */
  private readonly wasm: string | undefined;
  /** Where the worker finds the encryption build (loaded there at the first open with a key). */
  private readonly cipherWasm: string;

  /** Compiles the wasm on this side while a worker starts (platform.ts compileWasm); once. */
  private readonly compile: () => Promise<WebAssembly.Module | null>;

  constructor(
    spawn: SpawnWorker,
    options: {
      join?: () => MessagePort | null;
      acks?: boolean;
      changes?: (message: FeedMessage) => void;
      wasm?: string;
      cipherWasm?: string;
      compile?: (url: string) => Promise<WebAssembly.Module | null>;
    } = {},
  ) {
    this.spawn = spawn;
    this.wasm = options.wasm;
    this.cipherWasm = options.cipherWasm ?? "";
    let compiled: Promise<WebAssembly.Module | null> | undefined;
    this.compile = () => (compiled ??= options.compile?.(this.wasm!) ?? Promise.resolve(null));
    this.join = options.join ?? (() => null);
    this.acks = options.acks ?? false;
    this.changes = options.changes ?? (() => {});
  }

  private worker(): Promise<WorkerPort> {
    if (this.port) return this.port;
    const restart = this.generation > 0;
    const module = this.wasm !== undefined ? this.compile() : null;
    const port: Promise<WorkerPort> = this.spawn({
      message: (data) => this.onMessage(data),
      // A worker that was already replaced (terminated, then its exit reported late) is past.
      died: (reason, code) => {
        if (this.port === port) this.onDied(reason, code);
      },
    }).then(async (worker) => {
      if (this.wasm !== undefined) {
        const setup = {
          wasm: this.wasm,
          cipherWasm: this.cipherWasm,
          module: await module,
          restart,
        };
        worker.postMessage(setupMessage(setup), []);
      }
      return worker;
    });
    this.port = port;
    return port;
  }

  private onMessage(data: unknown): void {
    const event = data as WorkerEvent;
    if (event?.event === "log") {
      for (const listener of this.logListeners) callSafely(listener, event.code, event.message);
      return;
    }
    if (event?.event === "changes") {
      this.changes(event);
      return;
    }
    if (event?.event === "committing") {
      if (this.pending.has(event.id)) this.committing.add(event.id);
      return;
    }
    const response = data as Response;
    const settle = this.pending.get(response.id);
    if (!settle) return;
    this.pending.delete(response.id);
    this.committing.delete(response.id);
    settle({ kind: "response", response });
  }

  /** Starts the worker and loads the wasm in it, once per worker. */
  load(): Promise<unknown> {
    if (!this.loaded) {
      const started = Date.now();
      const broker = this.join();
      const loading = this.request("load", { broker }, broker ? [broker] : []);
      this.loaded = loading;
      loading.then(
        () => (this.startedInMs = Date.now() - started),
        // A failed start is not kept: the next call tries again.
        () => this.loaded === loading && (this.loaded = null),
      );
    }
    return this.loaded;
  }

  private onDied(reason: string, code = "WORKER_DIED"): void {
    this.lastDeath = { reason, code };
    this.loaded = null;
    const port = this.port;
    this.port = null;
    this.generation++;
    for (const [id, settle] of this.pending) {
      settle({ kind: "died", reason, code, committed: !this.acks || this.committing.has(id) });
    }
    this.pending.clear();
    this.committing.clear();
    port?.then((w) => w.terminate()).catch(() => {});
    for (const listener of [...this.diedListeners]) callSafely(listener);
  }

  /**
   * Sends a request. With timeoutMs, the promise rejects with TIMEOUT when no answer came in
   * time; the worker's late answer is dropped. (Requests carrying a deadline also stop in the
   * worker: see protocol.ts.)
   */
  async request<K extends RequestType>(
    type: K,
    args: Args<K>,
    transfer: Transferable[] = [],
    timeoutMs = 0,
  ): Promise<Result<K>> {
    const generation = this.generation;
    const port = await this.worker();
    // The worker died while it was starting: nothing would ever answer.
    if (this.generation !== generation) {
      throw workerDied(this.lastDeath.reason, this.lastDeath.code);
    }
    const id = this.nextId++;
    const message: Request<K> = { v: PROTOCOL_VERSION, id, type, args };
    const outcome = await new Promise<Outcome>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      if (timeoutMs > 0) {
        timer = setTimeout(() => {
          this.committing.delete(id);
          if (this.pending.delete(id)) resolve({ kind: "timeout" });
        }, timeoutMs);
      }
      this.pending.set(id, (o) => {
        clearTimeout(timer);
        resolve(o);
      });
      try {
        port.postMessage(message, transfer);
      } catch (e) {
        // A value the structured clone cannot copy: the request never left.
        this.pending.delete(id);
        clearTimeout(timer);
        throw e;
      }
    });
    if (outcome.kind === "response") {
      if (outcome.response.ok) return outcome.response.result as Result<K>;
      throw rebuild(outcome.response.error);
    }
    if (outcome.kind === "timeout") {
      throw new WebSqliteError(
        "TIMEOUT",
        `${type} did not finish within timeoutMs (${timeoutMs} ms). Unless it had just ` +
          `finished, the worker stops it (or never starts it) and rolls back what it wrote.`,
      );
    }
    const died = workerDied(outcome.reason, outcome.code);
    if (!outcome.committed) leftNoTrace.add(died);
    throw died;
  }

  /** Stops the worker; pending calls reject. */
  terminate(): void {
    if (this.port) this.onDied("terminated");
  }
}
