/**
 * db.sync(): a page's handle on its database's sync with PostgreSQL. The engine runs in the
 * worker that holds the database (pgsync/engine.ts); this handle starts it, and hears its news
 * on the page's feed (client/change-feed.ts), like every page that has the database.
 */
import { WebSqliteError } from "../errors.js";
import type { Rejection, WireRow } from "../pgsync/wire.js";
import type { SerializedError, SyncNotice, SyncStatus } from "../worker/protocol.js";
import { onSyncNotices } from "./change-feed.js";
import type { DatabaseCore } from "./core.js";

export type { SyncStatus };

export interface SyncOptions {
  /** Where createSyncServer's handler is mounted, e.g. "https://example.com/sync". */
  url: string | URL;
  /** The synced tables: they exist in this database and in Postgres, each with a primary key. */
  tables: string[];
  /** Headers of every request to the server, e.g. { authorization: "Bearer …" }. */
  headers?: Record<string, string>;
}

/** A local write Postgres (or the server's rules) refused; it was undone on the device. */
export class SyncRejectedError extends WebSqliteError {
  /** The table and the primary key of the refused row. */
  readonly table: string;
  readonly key: WireRow;
  /** Postgres's SQLSTATE (e.g. "23505" for a unique violation), or "FORBIDDEN". */
  readonly sqlstate: string;

  constructor(r: Rejection) {
    super(
      "SYNC_REJECTED",
      `Postgres refused a write to "${r.table}" ${JSON.stringify(r.key)} (${r.code}): ${r.message}; ` +
        "it was undone on this device",
    );
    this.name = "SyncRejectedError";
    this.table = r.table;
    this.key = r.key;
    this.sqlstate = r.code;
  }
}

function revive(e: SerializedError | null): WebSqliteError | null {
  return e ? new WebSqliteError(e.code ?? "SYNC_FAILED", e.message) : null;
}

type Listeners = {
  status: (status: SyncStatus, error: WebSqliteError | null) => void;
  rejected: (error: SyncRejectedError) => void;
};

export class Sync {
  /** "connecting", "online", "offline" (trying again), "failed" (see error), "stopped". */
  status: SyncStatus;
  /** Local transactions not yet acknowledged by the server's stream. */
  pending: number;
  /** Why the last request to the server failed (offline), or why the sync gave up (failed). */
  error: WebSqliteError | null;
  private readonly listeners = { status: new Set(), rejected: new Set() } as {
    [K in keyof Listeners]: Set<Listeners[K]>;
  };
  private readonly synced = new Set<number>();
  private readonly waiters = new Set<() => void>();
  private readonly unhear: () => void;

  /** @internal use db.sync() */
  constructor(
    private readonly core: DatabaseCore,
    state: { status: SyncStatus; pending: number; error: SerializedError | null },
  ) {
    this.status = state.status;
    this.pending = state.pending;
    this.error = revive(state.error);
    this.unhear = onSyncNotices((n) => {
      if (n.name === core.name && n.storage === core.storage) this.hear(n.sync);
    });
  }

  private hear(news: SyncNotice["sync"]): void {
    const changed = news.status !== this.status;
    this.status = news.status;
    this.pending = news.pending;
    this.error = revive(news.error);
    for (const ticket of news.synced) this.synced.add(ticket);
    if (changed) for (const l of this.listeners.status) l(this.status, this.error);
    for (const r of news.rejected) {
      const error = new SyncRejectedError(r);
      for (const l of this.listeners.rejected) l(error);
    }
    for (const wake of this.waiters) wake();
  }

  /** Listens to "status" (each change) or "rejected" (each refused write); returns its stop. */
  on<K extends keyof Listeners>(event: K, listener: Listeners[K]): () => void {
    const set = this.listeners[event] as Set<Listeners[K]> | undefined;
    if (!set)
      throw new TypeError(
        `sync.on: the events are "status" and "rejected", not "${String(event)}"`,
      );
    if (typeof listener !== "function") throw new TypeError("sync.on: listener must be a function");
    set.add(listener);
    return () => void set.delete(listener);
  }

  /**
   * Resolves once every local write committed before the call is in Postgres (or refused: see
   * "rejected"), and this database has every change Postgres had when they were. Offline it
   * waits; timeoutMs bounds the wait (TIMEOUT). Rejects if the sync stops or fails meanwhile.
   */
  async whenSynced(options: { timeoutMs?: number } = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? 0;
    if (typeof timeoutMs !== "number" || timeoutMs < 0) {
      throw new TypeError("whenSynced: timeoutMs must be a number of milliseconds ≥ 0");
    }
    const ticket = (await this.core.request("syncPoint", { db: this.core.id })) as number;
    await new Promise<void>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const check = () => {
        let outcome: Error | null | undefined;
        if (this.synced.delete(ticket)) outcome = null;
        else if (this.status === "failed")
          outcome = this.error ?? new WebSqliteError("SYNC_FAILED", "the sync failed");
        else if (this.status === "stopped")
          outcome = new WebSqliteError("SYNC_STOPPED", "the sync stopped before it was synced");
        if (outcome === undefined) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        if (outcome) reject(outcome);
        else resolve();
      };
      if (timeoutMs > 0) {
        timer = setTimeout(() => {
          this.waiters.delete(check);
          reject(
            new WebSqliteError(
              "TIMEOUT",
              `whenSynced: not synced within ${timeoutMs} ms (status: ${this.status}); the writes ` +
                "stay in the outbox and go when the server is reachable",
            ),
          );
        }, timeoutMs);
      }
      this.waiters.add(check);
      check();
    });
  }

  /** Stops this database's sync (the writes made meanwhile wait in the outbox for the next). */
  async stop(): Promise<void> {
    if (this.status === "stopped") return;
    this.unhear();
    this.status = "stopped";
    for (const wake of this.waiters) wake();
    if (this.core.alive) await this.core.request("syncStop", { db: this.core.id });
  }
}

/** Checks db.sync()'s options and starts the sync. */
export async function startSync(core: DatabaseCore, options: SyncOptions): Promise<Sync> {
  if (typeof options !== "object" || options === null) {
    throw new TypeError("sync: pass { url, tables }");
  }
  let url: URL;
  try {
    const base = (globalThis as { location?: { href: string } }).location?.href;
    url = new URL(options.url, base);
  } catch {
    throw new TypeError(`sync: url "${String(options.url)}" is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(`sync: url must be http: or https:, not ${url.protocol}`);
  }
  const tables = options.tables;
  if (
    !Array.isArray(tables) ||
    tables.length === 0 ||
    !tables.every((t) => typeof t === "string")
  ) {
    throw new TypeError("sync: tables must name at least one table");
  }
  const headers = options.headers ?? {};
  if (typeof headers !== "object" || !Object.values(headers).every((v) => typeof v === "string")) {
    throw new TypeError("sync: headers must map names to strings");
  }
  const db = core.check(null, "sync");
  const state = await core.request("syncStart", {
    db,
    url: url.href,
    tables: [...tables],
    headers: { ...headers },
  });
  return new Sync(core, state);
}
