/**
 * db.sync(): a page's handle on its database's sync with PostgreSQL. The engine runs in the
 * worker that holds the database (pgsync/engine.ts); this handle starts it, and hears its news
 * on the page's feed (client/change-feed.ts), like every page that has the database.
 */
import { WebSqliteError } from "../errors.js";
import type { Rejection, WireRow } from "../pgsync/wire.js";
import type { SerializedError, SyncNotice, SyncStatus } from "../worker/protocol.js";
import type { Args } from "../worker/requests.js";
import type { Result } from "../worker/handlers.js";
import { onSyncNotices } from "./change-feed.js";
import { errorCode } from "./routing.js";
import { callSafely } from "./worker-client.js";
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
  /** How many times the sync started again at a new holder (its old tickets are gone). */
  private restarts = 0;

  /** @internal use db.sync() */
  constructor(
    private readonly core: DatabaseCore,
    private readonly args: Args<"syncStart">,
    state: Result<"syncStart">,
  ) {
    this.status = state.status;
    this.pending = state.pending;
    this.error = revive(state.error);
    this.unhear = onSyncNotices((n) => {
      if (n.name === core.name && n.storage === core.storage) this.hear(n.sync);
    });
    this.followHolder();
  }

  /**
   * When the tab that holds the database ends, the database moves to another, and the sync
   * with it: this page asks the new holder to run it (as every page that asked for it does).
   */
  private followHolder(): void {
    if (!this.core.follows) return;
    const client = this.core.client;
    const died = () => {
      client.diedListeners.delete(died);
      void this.restart();
    };
    client.diedListeners.add(died);
  }

  private async restart(): Promise<void> {
    for (
      let wait = 250;
      this.status !== "stopped" && this.core.alive;
      wait = Math.min(wait * 2, 4000)
    ) {
      try {
        const state = await this.core.request("syncStart", { ...this.args, db: this.core.id });
        this.restarts++;
        this.followHolder();
        this.hear({ ...state, rejected: [], synced: [] });
        return;
      } catch {
        await new Promise((r) => setTimeout(r, wait)); // the new holder is not there yet
      }
    }
  }

  private hear(news: SyncNotice["sync"]): void {
    if (this.status === "stopped") return;
    const changed = news.status !== this.status;
    this.status = news.status;
    this.pending = news.pending;
    this.error = revive(news.error);
    for (const ticket of news.synced) this.synced.add(ticket);
    if (changed) for (const l of this.listeners.status) callSafely(l, this.status, this.error);
    for (const r of news.rejected) {
      const error = new SyncRejectedError(r);
      for (const l of this.listeners.rejected) callSafely(l, error);
    }
    for (const wake of [...this.waiters]) wake();
  }

  /** Listens to "status" (each change) or "rejected" (each refused write); returns its stop. */
  on<K extends keyof Listeners>(event: K, listener: Listeners[K]): () => void {
    const set = this.listeners[event] as Set<Listeners[K]> | undefined;
    if (!set) {
      throw new TypeError(
        `sync.on: the events are "status" and "rejected", not "${String(event)}"`,
      );
    }
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
    if (typeof timeoutMs !== "number" || !(timeoutMs >= 0)) {
      throw new TypeError("whenSynced: timeoutMs must be a number of milliseconds ≥ 0");
    }
    const deadline = timeoutMs > 0 ? Date.now() + timeoutMs : Infinity;
    for (;;) {
      const restarts = this.restarts;
      let ticket: number | null = null;
      try {
        ticket = await this.core.request("syncPoint", { db: this.core.id });
      } catch (e) {
        if (errorCode(e) !== "WORKER_DIED" && errorCode(e) !== "SYNC_STOPPED") throw e;
        // The holder ended: the sync starts again at the next one (restart), then ask again.
      }
      if (await this.until(ticket, restarts, deadline, timeoutMs)) return;
    }
  }

  /** Waits for ticket (true), or for the sync to start again elsewhere (false). */
  private until(
    ticket: number | null,
    restarts: number,
    deadline: number,
    timeoutMs: number,
  ): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const settle = (outcome: boolean | Error) => {
        this.waiters.delete(check);
        clearTimeout(timer);
        if (outcome instanceof Error) reject(outcome);
        else resolve(outcome);
      };
      const check = () => {
        if (ticket !== null && this.synced.delete(ticket)) settle(true);
        else if (this.status === "failed") {
          settle(this.error ?? new WebSqliteError("SYNC_FAILED", "the sync failed"));
        } else if (this.status === "stopped") {
          settle(new WebSqliteError("SYNC_STOPPED", "the sync stopped before it was synced"));
        } else if (this.restarts !== restarts) settle(false);
      };
      if (deadline !== Infinity) {
        timer = setTimeout(
          () =>
            settle(
              new WebSqliteError(
                "TIMEOUT",
                `whenSynced: not synced within ${timeoutMs} ms (status: ${this.status}); the ` +
                  "writes stay in the outbox and go when the server is reachable",
              ),
            ),
          Math.max(0, deadline - Date.now()),
        );
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
    for (const wake of [...this.waiters]) wake();
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
  const args = { db, url: url.href, tables: [...tables], headers: { ...headers } };
  return new Sync(core, args, await core.request("syncStart", args));
}
