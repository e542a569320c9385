/**
 * The messages between the main thread and the worker, and the small schema language the
 * requests are defined in. Each request is defined once, in worker/requests.ts, by the shape of
 * its arguments and its handler: the worker validates messages against the shape, and both
 * sides take the argument and result types from that one definition.
 *
 * Parameters travel encoded (codec/params.ts) and results as the core's raw result buffers: the
 * worker never parses either, and both cross as transferred ArrayBuffers.
 *
 * The roles of arguments (what a request runs on, its deadline) are declared by their checks
 * (databaseId, statementId, cursorId, deadline), never found by their names.
 */
import {
  BadRequest,
  type Check,
  type Shape,
  boolean,
  instance,
  isObject,
  nullable,
  number,
  object,
  string,
} from "../schema.js";
import { SQLiteError, WebSqliteError, autocommitAfter } from "../errors.js";
import type { Rejection } from "../pgsync/wire.js";
import type { Storage } from "../runtime/storages.js";

export * from "../schema.js";
export { PERSISTENT, STORAGES } from "../runtime/storages.js";
export type { PersistentStorage, Storage } from "../runtime/storages.js";

export const PROTOCOL_VERSION = 3;

/** "full": every commit is flushed to disk before it resolves. "relaxed": no flushes. */
export type Durability = "full" | "relaxed";
export const DURABILITIES: readonly Durability[] = ["full", "relaxed"];

/**
 * What a request runs on, named by one of its arguments: a database (the id open() gave), a
 * prepared statement, or an iteration cursor (both live on a database, at the worker that
 * prepared them).
 */
export type TargetKind = "database" | "statement" | "cursor";

/** A check that also says what role its argument plays in a request (read by the dispatcher and the client). */
export type RoleCheck<T> = Check<T> & { role: TargetKind | "deadline" };

function role<T>(check: Check<T>, r: RoleCheck<T>["role"]): RoleCheck<T> {
  return Object.assign((v: unknown, where: string) => check(v, where), { role: r });
}

/** The argument that names the database a request runs on. */
export const databaseId = role(number, "database");
/** The argument that names the prepared statement a request runs. */
export const statementId = role(number, "statement");
/** The argument that names the iteration cursor a request reads. */
export const cursorId = role(number, "cursor");
/**
 * The request's deadline, milliseconds on the Date.now() clock, 0 for none: a statement still
 * running then stops with TIMEOUT, and a request that waited past it never starts.
 */
export const deadline = role(number, "deadline");

/** The key of the argument of shape whose check plays role r, if one does. */
export function argumentOf(shape: Shape, r: RoleCheck<unknown>["role"]): string | null {
  for (const [key, check] of Object.entries(shape)) {
    if ((check as Partial<RoleCheck<unknown>>).role === r) return key;
  }
  return null;
}

/** The little a client needs of a worker, in Node or in a browser. */
export interface WorkerPort {
  postMessage(message: unknown, transfer: Transferable[]): void;
  terminate(): void;
}

export interface WorkerHandlers {
  message(data: unknown): void;
  /**
   * The worker failed or exited; nothing more will come from it. code LOAD_FAILED: its script
   * never ran; DATABASE_UNREACHABLE: a port to another tab's holder was never answered, and
   * reason says why (else the calls it had reject with WORKER_DIED).
   */
  died(reason: string, code?: "LOAD_FAILED" | "DATABASE_UNREACHABLE"): void;
}

/** Starts a worker (platform.ts); the client's first message to it is its setup. */
export type SpawnWorker = (handlers: WorkerHandlers) => Promise<WorkerPort>;

/** An error as it crosses the thread boundary. */
export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  resultCode?: number;
  offset?: number;
  stack?: string;
  /** After the failure the connection was in autocommit mode (see errors.ts, autocommitAfter). */
  autocommit?: boolean;
}

/** An error as it crosses to the page: its name, code and SQLite's details. */
export function serializeError(e: unknown): SerializedError {
  if (!(e instanceof Error)) return { name: "Error", message: String(e) };
  const out: SerializedError = { name: e.name, message: e.message, stack: e.stack };
  if (e instanceof WebSqliteError) out.code = e.code;
  if (e instanceof SQLiteError) {
    out.resultCode = e.resultCode;
    out.offset = e.offset;
  }
  if (autocommitAfter.has(e)) out.autocommit = true;
  return out;
}

export type Response =
  | { v: typeof PROTOCOL_VERSION; id: number; ok: true; result: unknown }
  | { v: typeof PROTOCOL_VERSION; id: number; ok: false; error: SerializedError };

/**
 * Messages the worker sends on its own. committing: the request id is about to commit what it
 * wrote (a request that never got that far left no trace, and goes to the next holder if this
 * one ends; see client/database.ts).
 */
export type WorkerEvent =
  | { v: typeof PROTOCOL_VERSION; event: "log"; code: number; message: string }
  | ({ v: typeof PROTOCOL_VERSION; event: "changes" } & FeedMessage)
  | { v: typeof PROTOCOL_VERSION; event: "committing"; id: number };

/**
 * Tables that a commit changed in a database: to every page (over a BroadcastChannel) when the
 * database is shared between tabs, else as an event of the worker to its page. db is the
 * worker's id of the connection that committed (a memory database is its connection's own).
 */
export interface Changes {
  name: string;
  storage: Storage;
  db: number;
  tables: string[];
}

/** The states of a database's sync with PostgreSQL (docs/API.md "Sync with PostgreSQL"). */
export type SyncStatus = "connecting" | "online" | "offline" | "failed" | "stopped";

/**
 * What the sync engine of a database (at the tab that holds it) tells the pages that have it:
 * its status, its pending local transactions, and news: writes Postgres refused, and the
 * whenSynced() tickets that are done. Carried like Changes.
 */
export interface SyncNotice {
  name: string;
  storage: Storage;
  sync: {
    status: SyncStatus;
    pending: number;
    error: SerializedError | null;
    rejected: Rejection[];
    synced: number[];
  };
}

/** What the feed of a database carries to its pages: commits, and news of its sync. */
export type FeedMessage = Changes | SyncNotice;

/** A feed message as the event a worker posts to its own page. */
export function changesEvent(message: FeedMessage): WorkerEvent {
  return { v: PROTOCOL_VERSION, event: "changes", ...message };
}

export function committingEvent(id: number): WorkerEvent {
  return { v: PROTOCOL_VERSION, event: "committing", id };
}

/** The BroadcastChannel of the changes to databases shared between tabs. */
export const CHANGES_CHANNEL = "web-sqlite:changes";

/** SQLite's log line as the event a worker posts. */
export function logEvent(code: number, message: string): WorkerEvent {
  return { v: PROTOCOL_VERSION, event: "log", code, message };
}

/**
 * The first message to a worker, before any request: where the wasm is (the page resolved the
 * option `wasm`, or the package's own), the wasm compiled (by the page while the worker started;
 * null if the page could not, and the worker then loads it from `wasm` and says what is wrong),
 * and whether an earlier worker of the page died (its OPFS handles may take seconds to be
 * released). Not in the worker's URL, which bundlers must see as the package wrote it.
 */
export interface WorkerSetup {
  wasm: string;
  /** The encryption build, loaded at the first open with a key (runtime/runtimes.ts). */
  cipherWasm: string;
  module: WebAssembly.Module | null;
  restart: boolean;
}

const checkSetup: Check<WorkerSetup> = object({
  wasm: string,
  cipherWasm: string,
  module: nullable(
    instance<WebAssembly.Module>("a WebAssembly.Module", (v) => v instanceof WebAssembly.Module),
  ),
  restart: boolean,
});

export function setupMessage(setup: WorkerSetup): unknown {
  return { v: PROTOCOL_VERSION, setup };
}

/** The setup in a worker's first message; BAD_REQUEST if that is something else. */
function readSetup(message: unknown): WorkerSetup {
  if (!isObject(message) || message.v !== PROTOCOL_VERSION || !isObject(message.setup)) {
    throw new BadRequest(`the first message must be the setup (protocol ${PROTOCOL_VERSION})`);
  }
  return checkSetup(message.setup, "setup");
}

/**
 * A worker's message handler: its first message is the setup, from which start makes what serves
 * the worker (its dispatcher); every later message goes to serve with that.
 */
export function afterSetup<D>(
  start: (setup: WorkerSetup) => D,
  serve: (served: D, message: unknown) => unknown,
): (message: unknown) => void {
  let served: D | undefined;
  return (message) => {
    if (served === undefined) served = start(readSetup(message));
    else void serve(served, message);
  };
}
