/**
 * The requests between a device and the sync server (sync with PostgreSQL), defined once for
 * both ends: the server validates every request against these shapes, the device builds them.
 * Plain HTTP: each request is a POST of one JSON object to `<url>/<name>`; an answer is JSON, or
 * NDJSON for a snapshot. docs/API.md "Sync with PostgreSQL" describes the protocol.
 *
 * Values travel as SQLite values in JSON: null, a number (an integer within ±2^53 - 1, or a
 * double), a string, { "$x": hex } for a blob and { "$i": decimal } for an integer past 2^53.
 */
import {
  BadRequest,
  type Check,
  arrayOf,
  instance,
  isObject,
  nullable,
  object,
  oneOf,
  string,
} from "../schema.js";

export type WireValue = null | number | string | { $x: string } | { $i: string };
/** A row or a key: values by column name. */
export type WireRow = Record<string, WireValue>;

const HEX = /^(?:[0-9a-fA-F]{2})*$/;
const INTEGER = /^-?\d{1,19}$/;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
/** The longest client id (a device's id: a UUID is 36 characters). */
const CLIENT = /^[A-Za-z0-9_-]{8,64}$/;
/** Positions in the server's change log, and upload sequence numbers: decimal, ≥ 0. */
const POSITION = /^\d{1,19}$/;
/** A Postgres snapshot as pg_current_snapshot() prints it: xmin:xmax:xip,... */
const SNAPSHOT = /^\d{1,20}:\d{1,20}:(?:\d{1,20}(?:,\d{1,20}){0,9999})?$/;

export function isWireValue(v: unknown): v is WireValue {
  if (v === null || typeof v === "string") return true;
  if (typeof v === "number") return Number.isFinite(v);
  if (!isObject(v) || Array.isArray(v)) return false;
  const keys = Object.keys(v);
  if (keys.length !== 1) return false;
  if (keys[0] === "$x") return typeof v.$x === "string" && HEX.test(v.$x);
  if (keys[0] === "$i") return typeof v.$i === "string" && INTEGER.test(v.$i);
  return false;
}

export const identifier = instance<string>(
  "a SQL name (letters, digits and _, not starting with a digit, at most 63 characters)",
  (v) => typeof v === "string" && IDENTIFIER.test(v),
);

export const wireRow: Check<WireRow> = (v, where) => {
  if (!isObject(v) || Array.isArray(v)) throw new BadRequest(`'${where}' must be an object`);
  for (const [column, value] of Object.entries(v)) {
    identifier(column, `${where} (a column name)`);
    if (!isWireValue(value)) {
      throw new BadRequest(
        `'${where}.${column}' must be null, a finite number, a string, {"$x": hex} or {"$i": decimal}`,
      );
    }
  }
  return v as WireRow;
};

export const clientId = instance<string>(
  "a client id (8 to 64 letters, digits, - or _)",
  (v) => typeof v === "string" && CLIENT.test(v),
);
export const position = instance<string>(
  "a position (a decimal integer, as a string)",
  (v) => typeof v === "string" && POSITION.test(v),
);
export const snapshot = instance<string>(
  "a snapshot (xmin:xmax:xip, as the server gave it)",
  (v) => typeof v === "string" && SNAPSHOT.test(v),
);
const sequence = instance<number>(
  "an upload sequence number (an integer ≥ 0)",
  (v) => Number.isSafeInteger(v) && (v as number) >= 0,
);

/** A synced table as the device has it: its columns and its primary key, by name. */
export const tableShape = object({
  columns: arrayOf(identifier),
  key: arrayOf(identifier),
});
export type TableShape = ReturnType<typeof tableShape>;

/** hello: a device names itself and the tables it syncs; the server checks they match. */
export const hello = object({
  client: clientId,
  tables: instance<Record<string, TableShape>>("an object of tables", (v) => isObject(v)),
});
export type Hello = ReturnType<typeof hello>;

/** One local write of a device: its table, its key, and its new values (insert, update). */
export const localWrite = object({
  t: identifier,
  op: oneOf(["insert", "update", "delete"] as const),
  key: wireRow,
  values: nullable(wireRow),
});
export type LocalWrite = ReturnType<typeof localWrite>;

/** One local transaction: seq names it (its last outbox id on the device, increasing). */
export const localTransaction = object({ seq: sequence, writes: arrayOf(localWrite) });
export type LocalTransaction = ReturnType<typeof localTransaction>;

/**
 * upload: local transactions in order, each applied in Postgres all or nothing. prev is the seq
 * of the transaction before the first (0 at first), so the server applies them in order and
 * once: an upload whose last seq it has applied is answered again and changes nothing.
 */
export const upload: Check<{
  client: string;
  prev: number;
  transactions: ReturnType<typeof localTransaction>[];
}> = (v, where) => {
  const u = object({ client: clientId, prev: sequence, transactions: arrayOf(localTransaction) })(
    v,
    where,
  );
  if (u.transactions.length === 0) throw new BadRequest("'transactions' must not be empty");
  let seq = u.prev;
  for (const [i, t] of u.transactions.entries()) {
    if (t.seq <= seq) {
      throw new BadRequest(`'transactions[${i}].seq' must be greater than the one before it`);
    }
    seq = t.seq;
  }
  return u;
};
export type Upload = ReturnType<typeof upload>;

/** A write Postgres (or the server's rules) refused: undone on the device, and reported. */
export interface Rejection {
  /** The local transaction it refused (all of it). */
  seq: number;
  table: string;
  key: WireRow;
  /** Postgres's SQLSTATE (e.g. "23505"), or "FORBIDDEN" for the server's row filter. */
  code: string;
  message: string;
}

export interface UploadAnswer {
  /** The last transaction's seq. */
  seq: number;
  /** The upload was applied before (its first answer was lost): nothing changed now. */
  replay: boolean;
  rejected: Rejection[];
}

/** pull: the changes after pos (long polling: waits up to wait ms for some to come). */
export const pull = object({
  client: clientId,
  pos: position,
  snapshot: nullable(snapshot),
  wait: instance<number>("a number of milliseconds (0 to 30000)", (v) => {
    return typeof v === "number" && v >= 0 && v <= 30_000;
  }),
});
export type Pull = ReturnType<typeof pull>;

/** A change of Postgres as a device applies it. */
export type Change =
  | { t: string; op: "upsert"; row: WireRow }
  | { t: string; op: "delete"; key: WireRow }
  | { t: string; op: "truncate" };

/** One Postgres transaction, with what it says of this device's uploads and checkpoints. */
export interface Batch {
  changes: Change[];
  /** The device's upload seq (and every one before it) is in Postgres, or was refused. */
  ack?: { seq: number; rejected: Rejection[] };
  checkpoint?: number;
}

export interface PullAnswer {
  pos: string;
  batches: Batch[];
}

/** snapshot: every row of the device's tables, then the position to pull from. */
export const snapshotRequest = object({ client: clientId });

/** The first line of a snapshot's NDJSON; then { t, row } lines; then { end: true }. */
export interface SnapshotHead {
  pos: string;
  snapshot: string;
  /** The device's last upload the snapshot holds: its outbox up to it goes. */
  ack: { seq: number; rejected: Rejection[] };
}

/** checkpoint: a mark in Postgres's stream; the device has everything before it once it sees it. */
export const checkpoint = object({ client: clientId });

export interface CheckpointAnswer {
  checkpoint: number;
}

/** How the server says no: the HTTP status, and this body. */
export interface ErrorAnswer {
  error: { code: string; message: string; differences?: string[] };
}

export const ENDPOINTS = ["hello", "upload", "pull", "snapshot", "checkpoint"] as const;
export type Endpoint = (typeof ENDPOINTS)[number];
