/**
 * Every request of the protocol, declared once: the shape of its arguments (checked by the
 * worker before anything runs) and its traits, which the dispatcher and the client read rather
 * than infer from argument names:
 * - what it runs on: the argument whose check is databaseId, statementId or cursorId;
 * - its deadline: the argument whose check is deadline;
 * - which buffers of its result cross to the page transferred, not copied (transfer);
 * - whether it waits while another tab holds its database in a transaction (waits, the default
 *   for a request that runs on a database; false for one that cannot disturb it).
 * Its handler, under the same name, is in handlers.ts (the compiler asks for one per request).
 */
import { ON_CONFLICT } from "../bindings/changes.js";
import { type Key, checkKey } from "../codec/key.js";
import {
  BadRequest,
  type Check,
  DURABILITIES,
  type Infer,
  PERSISTENT,
  type PROTOCOL_VERSION,
  STORAGES,
  type Shape,
  type TargetKind,
  argumentOf,
  arrayOf,
  boolean,
  bytes,
  cursorId,
  databaseId,
  deadline,
  instance,
  isObject,
  nullable,
  number,
  object,
  oneOf,
  statementId,
  string,
} from "./protocol.js";

/** Which buffers of a result are transferred: the result (bytes), each of a list, a chunk. */
export type Transfer = "none" | "result" | "each" | "chunk";

export interface Declaration<S extends Shape = Shape> {
  args: S;
  check: Check<Infer<S>>;
  /** What it runs on, and the argument that names it; null: nothing in particular. */
  target: { kind: TargetKind; key: string } | null;
  /** The argument that is its deadline; null: it has none. */
  deadline: string | null;
  transfer: Transfer;
  waits: boolean;
}

function declare<S extends Shape>(
  args: S,
  traits: { transfer?: Transfer; waits?: boolean } = {},
): Declaration<S> {
  const kinds: TargetKind[] = ["database", "statement", "cursor"];
  const targets = kinds.flatMap((kind) => {
    const key = argumentOf(args, kind);
    return key === null ? [] : [{ kind, key }];
  });
  if (targets.length > 1) throw new Error("a request runs on one thing");
  const target = targets[0] ?? null;
  return {
    args,
    check: object(args),
    target,
    deadline: argumentOf(args, "deadline"),
    transfer: traits.transfer ?? "none",
    waits: traits.waits ?? target !== null,
  };
}

const params = nullable(bytes);

/** A key (codec/key.ts: a passphrase or 32 bytes) or none. */
const key: Check<Key | null> = (v, where) => {
  try {
    return checkKey(v, `'${where}'`);
  } catch (e) {
    throw new BadRequest((e as Error).message);
  }
};
export const isPort = (v: unknown): v is MessagePort =>
  typeof MessagePort !== "undefined" && v instanceof MessagePort;

const port = instance<MessagePort>("a MessagePort", isPort);

/** An import's bytes: all of them, or a port serving a stream of them (stream-port.ts). */
const source = instance<Uint8Array | MessagePort>(
  "a Uint8Array or a MessagePort",
  (v) => v instanceof Uint8Array || isPort(v),
);

export const REQUESTS = {
  /**
   * Loads the wasm (the first open does too): a client times start-up apart from opening. A
   * page that shares databases with other tabs sends its port to the broker along.
   */
  load: declare({ broker: nullable(port) }),
  /** A port to a new broker, after the one the page's worker had ended. */
  join: declare({ broker: port }),
  /**
   * The page opens a database shared with other tabs: this worker takes its Web Lock if it is
   * free (holder: true, open it here) or waits in line for it (open it at the holder).
   */
  follow: declare({ name: string, key: number }),
  /** The page closed a database it had followed (key: the page's number for it). */
  unfollow: declare({ name: string, key: number }),
  /**
   * shared: the database is shared with other tabs, and opens only at its holder. storage null:
   * the worker's preferred persistent storage; the answer says which.
   */
  open: declare({
    name: string,
    storage: nullable(oneOf(STORAGES)),
    durability: oneOf(DURABILITIES),
    busyTimeoutMs: nullable(number),
    shared: boolean,
    key,
  }),
  /** Changes the key of an open database (null: decrypts it). */
  rekey: declare({ db: databaseId, key }),
  close: declare({ db: databaseId }),
  /** Runs a script; the result buffer holds rows when rows is set. */
  exec: declare(
    { db: databaseId, sql: string, params, rows: boolean, deadline },
    { transfer: "result" },
  ),
  prepare: declare({ db: databaseId, sql: string }),
  /** One whole execution of a prepared statement; with first, only up to its first row. */
  run: declare(
    { stmt: statementId, params: bytes, rows: boolean, first: boolean, deadline },
    { transfer: "result" },
  ),
  /** Finalizes a prepared statement or an iteration cursor. */
  finalize: declare({ stmt: statementId }, { waits: false }),
  /**
   * Starts streaming one statement's rows: the first chunk of at most chunkRows rows, with the
   * column names. cursor is 0 when the chunk was the last (the statement is finalized).
   */
  iterate: declare(
    { db: databaseId, sql: string, params, chunkRows: number, deadline },
    { transfer: "chunk" },
  ),
  /** The next chunk of a cursor; the cursor is finalized after its last chunk or an error. */
  next: declare({ cursor: cursorId, chunkRows: number, deadline }, { transfer: "chunk" }),
  /** Statements in one level of the database's transactions: all or nothing. */
  batch: declare(
    { db: databaseId, items: arrayOf(object({ sql: string, params })), deadline },
    { transfer: "each" },
  ),
  /** The steps of the Promise API's transaction(): begin answers with the level it opened. */
  begin: declare({
    db: databaseId,
    mode: oneOf(["deferred", "immediate", "exclusive"] as const),
  }),
  commit: declare({ db: databaseId, level: number }),
  /** after: the message of the error that led to the rollback, for ROLLBACK_FAILED to name. */
  rollback: declare({ db: databaseId, level: number, after: nullable(string) }),
  /** The tables a query reads (for db.watch): the names its database's change events use. */
  tablesRead: declare({ db: databaseId, sql: string }),
  /** Runs the migrations past the database's user_version (bindings/changes.ts). */
  migrate: declare({
    db: databaseId,
    steps: arrayOf(object({ name: nullable(string), sql: string })),
  }),
  /** Starts recording the changes of the database's connection (recordChanges). */
  record: declare({ db: databaseId }),
  /** The changes a recording holds, as a changeset; it ends with this request. */
  changeset: declare({ db: databaseId, session: number }, { transfer: "result" }),
  applyChangeset: declare({
    db: databaseId,
    changeset: bytes,
    onConflict: oneOf(ON_CONFLICT),
    deadline,
  }),
  invertChangeset: declare({ changeset: bytes }, { transfer: "result" }),
  /** The database file's bytes. */
  export: declare({ db: databaseId }, { transfer: "result" }),
  /** Replaces (or creates) a database from a file's bytes, after checking them. */
  import: declare({ name: string, storage: nullable(oneOf(PERSISTENT)), source, deadline }),
  delete: declare({ name: string, storage: nullable(oneOf(PERSISTENT)) }),
  /** The I/O counters of a database since it was opened. */
  stats: declare({ db: databaseId }, { waits: false }),
  /** The VFS self-test of a storage. */
  selfTest: declare({ storage: nullable(oneOf(STORAGES)) }),
  list: declare({ storage: nullable(oneOf(PERSISTENT)) }),
  /**
   * Sync with PostgreSQL (pgsync/engine.ts): starts the database's sync at the worker that
   * holds it, or joins the one that runs; answers its state. News comes on the feed.
   */
  syncStart: declare({
    db: databaseId,
    url: string,
    tables: arrayOf(string),
    headers: instance<Record<string, string>>(
      "an object of header names to strings",
      (v) => isObject(v) && Object.values(v).every((x) => typeof x === "string"),
    ),
  }),
  /** A whenSynced() ticket for what is committed now; the feed says when it is done. */
  syncPoint: declare({ db: databaseId }, { waits: false }),
  syncState: declare({ db: databaseId }, { waits: false }),
  /** This database no longer asks for the sync; it stops when no database of the file does. */
  syncStop: declare({ db: databaseId }, { waits: false }),
};

export type RequestType = keyof typeof REQUESTS;
export type Args<K extends RequestType> = Infer<(typeof REQUESTS)[K]["args"]>;

/** A request as it crosses to the worker. */
export interface Request<K extends RequestType = RequestType> {
  v: typeof PROTOCOL_VERSION;
  id: number;
  type: K;
  args: Args<K>;
}
