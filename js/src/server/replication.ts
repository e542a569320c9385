/**
 * The log writer: one gateway at a time (the one that holds an advisory lock, on the connection
 * that writes) reads the replication slot (pgoutput, the replication protocol through pg) and
 * writes each committed transaction on the synced tables to wsq_sync.log, in commit order, then
 * confirms its LSN to the slot. The log row, the LSN it was written up to and a notification to
 * every gateway are one Postgres transaction: a writer that dies anywhere leaves the log as it
 * was, and the next writer resumes from the slot without a gap or a duplicate (a transaction at
 * or below the written LSN is skipped).
 */
import pg from "pg";
import type { WireRow } from "../pgsync/wire.js";
import { fromPostgres } from "./values.js";

/** A change as the log keeps it: the new row (upsert), the old row or key (update, delete). */
export interface LogChange {
  t: string;
  op: "upsert" | "delete" | "truncate";
  row?: WireRow;
  old?: WireRow;
}

/** The table whose rows tell a device of its uploads and checkpoints. */
export const CLIENTS = "wsq_sync.clients";
/**
 * A published table the writer touches every minute: the slot's position moves on (and Postgres
 * lets go of its WAL) even while nobody writes the synced tables. Its changes are not logged.
 */
export const HEARTBEAT = "wsq_sync.heartbeat";
const BEAT = "UPDATE wsq_sync.heartbeat SET at = now() WHERE id = 1";
const WRITTEN =
  "UPDATE wsq_sync.state SET value = $1 WHERE key = 'lsn' AND value::pg_lsn < $1::pg_lsn";

interface Relation {
  name: string;
  columns: { name: string; oid: number }[];
}

type Tuple = Record<string, string | null | undefined>; // undefined: an unchanged TOASTed value

/** Reads pgoutput's messages (protocol version 1). */
class Reader {
  private at = 0;
  constructor(private readonly buf: Buffer) {}
  byte(): number {
    return this.buf[this.at++];
  }
  int16(): number {
    const v = this.buf.readInt16BE(this.at);
    this.at += 2;
    return v;
  }
  int32(): number {
    const v = this.buf.readInt32BE(this.at);
    this.at += 4;
    return v;
  }
  uint32(): number {
    const v = this.buf.readUInt32BE(this.at);
    this.at += 4;
    return v;
  }
  int64(): bigint {
    const v = this.buf.readBigUInt64BE(this.at);
    this.at += 8;
    return v;
  }
  cstring(): string {
    const end = this.buf.indexOf(0, this.at);
    const s = this.buf.toString("utf8", this.at, end);
    this.at = end + 1;
    return s;
  }
  tuple(relation: Relation): Tuple {
    const n = this.int16();
    const out: Tuple = {};
    for (let i = 0; i < n; i++) {
      const kind = this.byte();
      const name = relation.columns[i].name;
      if (kind === 0x6e /* n */) out[name] = null;
      else if (kind === 0x75 /* u */) out[name] = undefined;
      else {
        const len = this.int32();
        out[name] = this.buf.toString("utf8", this.at, this.at + len);
        this.at += len;
      }
    }
    return out;
  }
}

export const formatLsn = (lsn: bigint) =>
  `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;

export function parseLsn(text: string): bigint {
  const [hi, lo] = text.split("/");
  return (BigInt(`0x${hi}`) << 32n) | BigInt(`0x${lo}`);
}

/** Microseconds since 2000-01-01, the replication protocol's clock. */
const now = () => (BigInt(Date.now()) - 946_684_800_000n) * 1000n;

const APPEND = `
  WITH s AS (UPDATE wsq_sync.state SET value = $1 WHERE key = 'lsn' AND value::pg_lsn < $1::pg_lsn
             RETURNING 1),
       c AS (SELECT pg_current_xact_id()::text::numeric AS c),
       l AS (INSERT INTO wsq_sync.log (xid, lsn, changes)
             SELECT (CASE WHEN $2::numeric <= mod(c, 4294967296) THEN div(c, 4294967296)
                          ELSE div(c, 4294967296) - 1 END * 4294967296 + $2::numeric)::text::xid8,
                    $1::pg_lsn, $3::jsonb
               FROM s, c RETURNING pos)
  SELECT pg_notify($4, pos::text) FROM l`;

/** Removes the log's rows older than the retention, and notes the last position removed. */
const PRUNE = `
  WITH gone AS (DELETE FROM wsq_sync.log
                 WHERE pos <= (SELECT max(pos) FROM wsq_sync.log WHERE at < now() - $1::interval)
                 RETURNING pos)
  UPDATE wsq_sync.state SET value = (SELECT max(pos) FROM gone)::text
   WHERE key = 'pruned' AND EXISTS (SELECT 1 FROM gone)`;

export interface WriterOptions {
  config: pg.ClientConfig;
  slot: string;
  /** The notification channel of new log rows. */
  channel: string;
  /** How long the log keeps a transaction (ms); a device further behind takes a new snapshot. */
  retentionMs: number;
  log: (message: string) => void;
}

export class LogWriter {
  private stopped = false;
  private readonly running: Promise<void>;
  private clients: pg.Client[] = [];
  private wake: (() => void) | null = null;

  constructor(private readonly options: WriterOptions) {
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    for (const c of this.clients) await c.end().catch(() => undefined);
    await this.running;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.lead();
      } catch (e) {
        if (!this.stopped) this.options.log(`sync server: the log writer stopped: ${String(e)}`);
      }
      for (const c of this.clients.splice(0)) await c.end().catch(() => undefined);
      if (this.stopped) break;
      // Another gateway writes the log, or Postgres is away: try again in a second.
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 1000);
      });
    }
  }

  private connect(replication: boolean): Promise<pg.Client> {
    const config = replication
      ? { ...this.options.config, replication: "database" }
      : this.options.config;
    const client = new pg.Client(config as pg.ClientConfig);
    this.clients.push(client);
    client.on("error", () => undefined); // the query in flight fails, which ends lead()
    return client.connect().then(() => client);
  }

  private async lead(): Promise<void> {
    const { slot, channel } = this.options;
    const writer = await this.connect(false);
    const lock = await writer.query("SELECT pg_try_advisory_lock(hashtext($1)) AS ok", [
      `wsq_sync.writer:${slot}`,
    ]);
    if (lock.rows[0].ok !== "t" || this.stopped) return;
    const state = await writer.query("SELECT value FROM wsq_sync.state WHERE key = 'lsn'");
    let written = parseLsn(state.rows[0].value);
    // Once a minute (and at once) the writer prunes the log and beats.
    const retention = `${Math.max(1, Math.round(this.options.retentionMs / 1000))} seconds`;
    const minutely = () => {
      writer.query(PRUNE, [retention]).catch(() => undefined);
      writer.query(BEAT).catch(() => undefined);
    };
    minutely();
    const timer = setInterval(minutely, 60_000);
    writer.on("end", () => clearInterval(timer));
    const stream = await this.connect(true);
    const connection = (stream as unknown as { connection: Connection }).connection;

    const relations = new Map<number, Relation>();
    let open: { xid: number; changes: LogChange[] } | null = null;
    let chain = Promise.resolve();
    let queued = 0;
    let failed: unknown = null;

    const confirm = (lsn: bigint) => {
      const b = Buffer.alloc(34);
      b[0] = 0x72; // r: standby status update
      b.writeBigUInt64BE(lsn, 1); // written
      b.writeBigUInt64BE(lsn, 9); // flushed: the slot may let go of what is before it
      b.writeBigUInt64BE(lsn, 17); // applied
      b.writeBigUInt64BE(now(), 25);
      b[33] = 0;
      connection.sendCopyFromChunk(b);
    };

    const trace = process.env.WSQ_SYNC_TRACE
      ? (m: string) => console.error(`log writer: ${m}`)
      : null;
    trace?.(`start at ${formatLsn(written)}`);
    const append = async (xid: number, end: bigint, changes: LogChange[]) => {
      trace?.(
        `commit xid ${xid} end ${formatLsn(end)} (${changes.length} changes)${end <= written ? " skipped" : ""}`,
      );
      if (end <= written) return; // written by an earlier writer: the slot sends it again
      const logged = changes.filter((c) => c.t !== HEARTBEAT);
      if (logged.length === 0) await writer.query(WRITTEN, [formatLsn(end)]);
      else
        await writer.query(APPEND, [formatLsn(end), String(xid), JSON.stringify(logged), channel]);
      written = end;
      confirm(end);
    };

    const handle = async (chunk: Buffer) => {
      if (chunk[0] === 0x6b /* k: keepalive */) {
        const end = chunk.readBigUInt64BE(1);
        trace?.(`keepalive ${formatLsn(end)} open ${open !== null} written ${formatLsn(written)}`);
        // Only what is written is confirmed; the heartbeat moves it on while all is quiet.
        if (chunk[17] === 1) confirm(written);
        return;
      }
      if (chunk[0] !== 0x77 /* w: data */) return;
      const r = new Reader(chunk.subarray(25));
      const tag = String.fromCharCode(r.byte());
      switch (tag) {
        case "B": {
          r.int64(); // the final LSN
          r.int64(); // the commit time
          open = { xid: r.uint32(), changes: [] };
          trace?.(`begin xid ${open.xid}`);
          break;
        }
        case "C": {
          r.byte();
          r.int64(); // the commit LSN
          const end = r.int64();
          const tx = open;
          open = null;
          if (tx && tx.changes.length > 0) await append(tx.xid, end, tx.changes);
          else trace?.(`commit xid ${tx?.xid} end ${formatLsn(end)} without changes`);
          break;
        }
        case "R": {
          const id = r.uint32();
          const schema = r.cstring();
          const name = r.cstring();
          r.byte(); // replica identity
          const n = r.int16();
          const columns = [];
          for (let i = 0; i < n; i++) {
            r.byte();
            const column = r.cstring();
            const oid = r.uint32();
            r.int32();
            columns.push({ name: column, oid });
          }
          const qualified = schema === "public" ? name : `${schema}.${name}`;
          relations.set(id, { name: qualified, columns });
          break;
        }
        case "I":
        case "U":
        case "D": {
          const relation = relations.get(r.uint32())!;
          let kind = String.fromCharCode(r.byte());
          let old: Tuple | undefined;
          if (kind === "K" || kind === "O") {
            old = r.tuple(relation);
            if (tag === "U") kind = String.fromCharCode(r.byte());
          }
          const row = tag === "D" ? undefined : r.tuple(relation);
          const change: LogChange = {
            t: relation.name,
            op: tag === "D" ? "delete" : "upsert",
          };
          if (row) change.row = wire(relation, row);
          if (old) change.old = wire(relation, old);
          if (!open) trace?.(`a change of ${relation.name} outside a transaction`);
          open?.changes.push(change);
          break;
        }
        case "T": {
          const n = r.int32();
          r.byte();
          for (let i = 0; i < n; i++) {
            const relation = relations.get(r.uint32());
            if (relation) open?.changes.push({ t: relation.name, op: "truncate" });
          }
          break;
        }
        default: // Y (type), O (origin), M (message): nothing the log keeps
          trace?.(`message ${tag}`);
      }
    };

    connection.on("copyData", ({ chunk: borrowed }: { chunk: Buffer }) => {
      // pg's parser lends a view of its own buffer, which the next bytes from the socket may
      // overwrite: a message waiting its turn is copied (read later, it was another message's
      // bytes: a transaction's BEGIN and changes lost, found by the faults run's trace).
      const chunk = Buffer.from(borrowed);
      queued++;
      if (queued > 1000) connection.stream.pause();
      chain = chain
        .then(() => (failed ? undefined : handle(chunk)))
        .catch((e) => {
          failed ??= e;
          void stream.end(); // ends the replication: the writer starts again from the slot
        })
        .finally(() => {
          if (--queued < 100) connection.stream.resume();
        });
    });
    writer.on("end", () => void stream.end());
    const start = `START_REPLICATION SLOT ${slot} LOGICAL ${formatLsn(written)} (proto_version '1', publication_names '${slot}')`;
    try {
      await stream.query(start);
    } catch (e) {
      if (!this.stopped) throw e;
    }
    await chain;
    if (failed && !this.stopped) throw failed;
  }
}

/** The internals of pg's Client this reader uses (those of its COPY support). */
interface Connection {
  on(event: "copyData", listener: (message: { chunk: Buffer }) => void): void;
  sendCopyFromChunk(chunk: Buffer): void;
  stream: { pause(): void; resume(): void };
}

/** A tuple of the stream as wire values (an unchanged TOASTed value is left out). */
function wire(relation: Relation, tuple: Tuple): WireRow {
  const out: WireRow = {};
  for (const { name, oid } of relation.columns) {
    const text = tuple[name];
    if (text !== undefined) out[name] = fromPostgres(oid, text);
  }
  return out;
}
