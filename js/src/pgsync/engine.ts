/**
 * The sync engine of one database, in the worker that holds it (one per database however many
 * pages started it): it says hello to the server, takes a snapshot at the first sync, then
 * uploads the outbox one local transaction at a time, in order, and pulls the server's log,
 * applying each answer under the pending writes (local.ts). Its SQL runs through the worker's
 * queue (Dispatcher.exclusive), so the app's calls wait for it as for another tab's, never fail
 * because of it; what it commits reaches the pages' change events like any commit.
 *
 * Network trouble (no answer, 5xx) is "offline": it tries again (0.25 s doubling to 10 s, with
 * jitter) and resumes where it was. A refusal that retrying cannot mend (401/403, a schema
 * mismatch, a server that does not speak the protocol) is "failed", with the error.
 */
import { SyncDatabase } from "../bindings/sync-database.js";
import { WebSqliteError } from "../errors.js";
import { isPersistent } from "../runtime/storages.js";
import type { Dispatcher } from "../worker/dispatcher.js";
import { type Storage, type SyncStatus, serializeError } from "../worker/protocol.js";
import { type Applied, LocalSide, OUTBOX } from "./local.js";
import type {
  CheckpointAnswer,
  PullAnswer,
  Rejection,
  SnapshotHead,
  UploadAnswer,
  WireRow,
} from "./wire.js";

export interface SyncConfig {
  url: string;
  tables: string[];
  headers: Record<string, string>;
}

/** How long a pull waits at the server for news before it asks again. */
const PULL_WAIT_MS = 20_000;
/** A request with no answer after this long is given up (and tried again). */
const REQUEST_TIMEOUT_MS = 60_000;

const engines = new WeakMap<Dispatcher, Map<string, Engine>>();

/** Starts the sync of database id (or joins the one that runs); answers its state. */
export async function startSync(w: Dispatcher, id: number, config: SyncConfig) {
  const db = w.databases.get(id);
  const key = `${db.storage}:${db.name}`;
  let all = engines.get(w);
  if (!all) engines.set(w, (all = new Map()));
  let engine = all.get(key);
  if (engine && !sameConfig(engine.config, config)) {
    throw new WebSqliteError(
      "SYNC_CONFLICT",
      `"${db.name}" already syncs with ${engine.config.url} (tables ${engine.config.tables.join(", ")}); ` +
        "stop that sync before starting another",
    );
  }
  if (!engine) {
    const storage = db.storage as Storage;
    if (!isPersistent(storage)) {
      throw new WebSqliteError(
        "UNSUPPORTED",
        "a memory database cannot sync (its outbox would not outlive the page): open it on a persistent storage",
      );
    }
    // The engine's own connection, with the key the database is open with here.
    const own = await SyncDatabase.open(db.name, {
      storage,
      key: db.key,
      environment: w.environment,
    });
    try {
      engine = new Engine(w, own, config, () => all!.delete(key));
    } catch (e) {
      own.close();
      throw e;
    }
    all.set(key, engine);
  }
  engine.users.add(id);
  return engine.state();
}

/** The engine database id started, if it runs. */
export function engineOf(w: Dispatcher, id: number): Engine {
  const db = w.databases.get(id);
  const engine = engines.get(w)?.get(`${db.storage}:${db.name}`);
  if (!engine)
    throw new WebSqliteError("SYNC_STOPPED", `"${db.name}" does not sync: call db.sync() first`);
  return engine;
}

/** Database id no longer asks for its sync (closed, or stopped): the engine stops after the last. */
export async function stopSync(w: Dispatcher, id: number): Promise<null> {
  if (!w.databases.isOpen(id)) return null; // closed already: closing twice is harmless
  const db = w.databases.get(id);
  await engines.get(w)?.get(`${db.storage}:${db.name}`)?.stop(id);
  return null;
}

const sameConfig = (a: SyncConfig, b: SyncConfig) =>
  a.url === b.url &&
  a.tables.join() === b.tables.join() &&
  JSON.stringify(a.headers) === JSON.stringify(b.headers);

/** An error of the sync's conversation with the server; retry: whether trying again may help. */
class ServerError extends WebSqliteError {
  constructor(
    code: string,
    message: string,
    readonly retry: boolean,
    readonly serverCode?: string,
  ) {
    super(code, message);
  }
}

/** Resolves after ms, or when signal aborts (whichever first), leaving no listener behind. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done);
  });
}

export class Engine {
  readonly users = new Set<number>();
  private readonly local: LocalSide;
  private status: SyncStatus = "connecting";
  private error: WebSqliteError | null = null;
  private stopped = new AbortController();
  private client = "";
  private uploaded = 0;
  private wakeUpload: (() => void) | null = null;
  private checkpointSeen = 0;
  /** Tickets start at a random point: those of an engine before it (elsewhere) name nothing here. */
  private nextTicket = Math.floor(Math.random() * 2 ** 40) + 1;
  /** whenSynced() tickets: done once the outbox holds nothing up to target and checkpoint is seen. */
  private points: { ticket: number; target: number; checkpoint: number | null }[] = [];
  private readonly detach: () => void;

  constructor(
    private readonly w: Dispatcher,
    private readonly db: SyncDatabase,
    readonly config: SyncConfig,
    private readonly forget: () => void,
  ) {
    this.local = new LocalSide(db, config.tables);
    this.local.install(() => crypto.randomUUID());
    this.client = String(this.local.get("client"));
    // A commit of the app that wrote to the outbox: upload it.
    this.detach = w.onFeed((m) => {
      if (
        "tables" in m &&
        m.name === db.name &&
        m.storage === db.storage &&
        m.tables.includes(OUTBOX)
      ) {
        this.tell(); // its pending count
        this.wakeUpload?.();
      }
    });
    void this.run();
  }

  state() {
    return {
      status: this.status,
      pending: this.local.pending(),
      error: this.error ? serializeError(this.error) : null,
    };
  }

  /** A whenSynced() ticket for what is committed now. */
  point(): number {
    const ticket = this.nextTicket++;
    this.points.push({ ticket, target: this.local.lastId(), checkpoint: null });
    this.wakeUpload?.();
    return ticket;
  }

  async stop(id: number): Promise<void> {
    this.users.delete(id);
    if (this.users.size > 0) return;
    this.forget();
    this.detach();
    this.stopped.abort();
    this.setStatus("stopped");
    // Called by a request: no job of the engine runs meanwhile, and the ones queued find the
    // connection closed.
    await this.db.closeAsync();
  }

  private tell(extra: { rejected?: Rejection[]; synced?: number[] } = {}): void {
    this.w.notify({
      name: this.db.name,
      storage: this.db.storage as Storage,
      sync: { ...this.state(), rejected: extra.rejected ?? [], synced: extra.synced ?? [] },
    });
  }

  private setStatus(status: SyncStatus, error: WebSqliteError | null = null): void {
    if (this.status === "stopped") return;
    const changed = status !== this.status || error?.message !== this.error?.message;
    this.status = status;
    this.error = error;
    if (changed) this.tell();
  }

  /** Runs fn on the database through the worker's queue, with capture off if asked. */
  private job<T>(fn: () => T, capture = true): Promise<T> {
    return this.w.exclusive(this.db, () => {
      // A page that ended closed its databases without a word: they ask for the sync no more.
      for (const id of this.users) if (!this.w.databases.isOpen(id)) this.users.delete(id);
      if (this.users.size === 0 && this.db.connection.isOpen) void this.stop(-1);
      if (!this.db.connection.isOpen) throw new WebSqliteError("SYNC_STOPPED", "the sync stopped");
      if (capture) return fn();
      this.db.connection.capture(false);
      try {
        return fn();
      } finally {
        this.db.connection.capture(true);
      }
    });
  }

  /** POSTs body to the server's endpoint; the answer's JSON, or a ServerError. */
  private async post<T>(
    endpoint: string,
    body: unknown,
    signal: AbortSignal,
    raw = false,
  ): Promise<T> {
    const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS + PULL_WAIT_MS);
    let response: Response;
    try {
      response = await fetch(`${this.config.url.replace(/\/$/, "")}/${endpoint}`, {
        method: "POST",
        headers: { ...this.config.headers, "content-type": "application/json" },
        body: JSON.stringify(body),
        signal: AbortSignal.any([signal, timeout]),
      });
    } catch (e) {
      throw new ServerError(
        "OFFLINE",
        `the sync server at ${this.config.url} did not answer: ${String(e)}`,
        true,
      );
    }
    const type = response.headers.get("content-type") ?? "";
    if (response.status >= 500 || response.status === 429) {
      await response.body?.cancel();
      throw new ServerError("OFFLINE", `the sync server answered ${response.status}`, true);
    }
    if (!type.startsWith(raw && response.ok ? "application/x-ndjson" : "application/json")) {
      await response.body?.cancel();
      throw new ServerError(
        "SYNC_PROTOCOL",
        `${this.config.url} answered ${response.status} with ${type || "no content type"}, not the ` +
          "sync protocol: check that url is where createSyncServer's handler is mounted",
        false,
      );
    }
    if (raw) return response as T;
    let json: unknown;
    try {
      json = await response.json();
    } catch (e) {
      throw new ServerError(
        "OFFLINE",
        `the sync server's answer was cut short: ${String(e)}`,
        true,
      );
    }
    if (!response.ok) {
      const { code, message } =
        (json as { error?: { code?: string; message?: string } }).error ?? {};
      const again =
        code === "OUT_OF_ORDER" ||
        code === "STALE_UPLOAD" ||
        code === "UNKNOWN_CLIENT" ||
        code === "SNAPSHOT_NEEDED";
      throw new ServerError(
        code === "SCHEMA_MISMATCH" ? "SYNC_SCHEMA" : "SYNC_REFUSED",
        `the sync server refused ${endpoint} (${response.status} ${code ?? ""}): ${message ?? ""}`,
        again,
        code,
      );
    }
    return json as T;
  }

  private async run(): Promise<void> {
    let backoff = 250;
    while (!this.stopped.signal.aborted) {
      const session = new AbortController();
      const signal = AbortSignal.any([session.signal, this.stopped.signal]);
      try {
        await this.connect(signal);
        backoff = 250;
        this.setStatus("online");
        await Promise.all(
          [this.pulls(signal), this.uploads(signal)].map((p) =>
            p.catch((e) => {
              session.abort();
              throw e;
            }),
          ),
        );
      } catch (e) {
        session.abort();
        if (this.stopped.signal.aborted) return;
        const error =
          e instanceof WebSqliteError ? e : new WebSqliteError("SYNC_FAILED", String(e));
        if (e instanceof ServerError && !e.retry) {
          this.setStatus("failed", error);
          return;
        }
        this.setStatus("offline", error);
        await sleep(backoff * (0.75 + Math.random() / 2), this.stopped.signal);
        backoff = Math.min(backoff * 2, 10_000);
      }
    }
  }

  /** hello, and at the first sync the snapshot. */
  private async connect(signal: AbortSignal): Promise<void> {
    const shapes = Object.fromEntries(this.local.shapes);
    const answer = await this.post<{ seq: number }>(
      "hello",
      { client: this.client, tables: shapes },
      signal,
    );
    this.uploaded = answer.seq;
    if ((await this.job(() => this.local.get("pos"))) !== null) return;
    const response = await this.post<Response>("snapshot", { client: this.client }, signal, true);
    const rows: { t: string; row: WireRow }[] = [];
    let head: SnapshotHead | null = null;
    let ended = false;
    const decoder = new TextDecoder();
    let rest = "";
    const take = (line: string) => {
      if (!line) return;
      const item = JSON.parse(line);
      if (!head) head = item;
      else if (item.end) ended = true;
      else rows.push(item);
    };
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      rest += decoder.decode(chunk, { stream: true });
      const lines = rest.split("\n");
      rest = lines.pop()!;
      for (const line of lines) take(line);
    }
    take(rest);
    if (!head || !ended) throw new ServerError("OFFLINE", "the snapshot was cut short", true);
    const { pos, snapshot, ack } = head as SnapshotHead;
    await this.apply(() => this.local.rebase([{ changes: [], ack }], pos, { snapshot, rows }));
  }

  /** Applies server changes (capture off), then tells the pages and moves the tickets on. */
  private async apply(fn: () => Applied): Promise<void> {
    const applied = await this.job(fn, false);
    if (applied.checkpoint !== null) {
      this.checkpointSeen = Math.max(this.checkpointSeen, applied.checkpoint);
    }
    await this.settle(applied.rejected);
    this.wakeUpload?.();
  }

  /** Tells the pages the news: rejected writes, and the tickets that are done. */
  private async settle(rejected: Rejection[] = []): Promise<void> {
    const first = await this.firstPending();
    const synced: number[] = [];
    this.points = this.points.filter((p) => {
      const done = p.checkpoint !== null && p.target < first && this.checkpointSeen >= p.checkpoint;
      if (done) synced.push(p.ticket);
      return !done;
    });
    this.tell({ rejected, synced });
  }

  /** The first outbox id not acknowledged yet (Infinity: none). */
  private firstPending(): Promise<number> {
    return this.job(() => this.local.outbox(0, 1)[0]?.id ?? Infinity);
  }

  private async pulls(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const [pos, snapshot] = await this.job(() => [
        this.local.get("pos"),
        this.local.get("snapshot"),
      ]);
      const answer = await this.post<PullAnswer>(
        "pull",
        { client: this.client, pos: String(pos), snapshot, wait: PULL_WAIT_MS },
        signal,
      ).catch(async (e) => {
        // Away longer than the server keeps its log: a new snapshot, under the pending writes.
        if (e instanceof ServerError && e.serverCode === "SNAPSHOT_NEEDED") {
          await this.job(() => this.local.set("pos", null));
        }
        throw e;
      });
      if (answer.batches.length > 0)
        await this.apply(() => this.local.rebase(answer.batches, answer.pos));
      else if (answer.pos !== pos) await this.job(() => this.local.set("pos", answer.pos));
    }
  }

  private async uploads(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const transactions = await this.job(() => this.local.nextUpload(this.uploaded));
      if (transactions) {
        const upload = { client: this.client, prev: this.uploaded, transactions };
        const answer = await this.post<UploadAnswer>("upload", upload, signal);
        this.uploaded = answer.seq;
        continue;
      }
      // Nothing to upload: the tickets whose writes are all in get their checkpoint.
      const first = await this.firstPending();
      const ready = this.points.filter((p) => p.checkpoint === null && p.target < first);
      if (ready.length > 0) {
        const answer = await this.post<CheckpointAnswer>(
          "checkpoint",
          { client: this.client },
          signal,
        );
        for (const p of ready) p.checkpoint = answer.checkpoint;
        await this.settle();
        continue;
      }
      await new Promise<void>((resolve) => {
        const done = () => {
          signal.removeEventListener("abort", done);
          this.wakeUpload = null;
          resolve();
        };
        this.wakeUpload = done;
        signal.addEventListener("abort", done);
      });
    }
  }
}
