/**
 * IndexedDB storage: where OPFS cannot open files synchronously (WebKit without sync access
 * handles, some private modes), and wherever it is asked for by name (`storage: "idb"`).
 *
 * IndexedDB works only asynchronously, and SQLite reads and writes synchronously. So while a
 * database is acquired, its files (the database, its WAL or journal) live in memory as blocks
 * (block-file.ts), loaded whole when it is acquired; the blocks SQLite changed are saved in one
 * IndexedDB transaction per save. IndexedDB commits a transaction whole or not at all, so the
 * stored files are always the files as they were at one moment between two calls of SQLite:
 * what a crash at that moment would have left, which SQLite recovers from.
 *
 * A save follows every request of the worker that wrote (in the synchronous API: every task
 * that wrote). Saves run one at a time, each taking all the changes made until it starts. A
 * commit that SQLite synced (durability "full") is answered only once a save holding it
 * committed, with IndexedDB's "strict" durability: a resolved commit survives a crash. Without
 * a sync ("relaxed"), the save goes on after the answer.
 *
 * Layout (docs/FORMAT.md): the IndexedDB database "web-sqlite", object store "files"
 * (path → { size, blockSize }) and object store "blocks" ([path, index] → the block's bytes).
 * A Web Lock per database, held while it is acquired, keeps other tabs and workers out with
 * DATABASE_IN_USE, as OPFS's exclusive access handles do.
 */
import { ResultCode as RC } from "../../generated/constants.js";
import { SQLiteError, WebSqliteError } from "../../errors.js";
import { lockManager } from "../locks.js";
import type { HostFileSystem } from "../host.js";
import { type AcquiredFile, AcquiredFiles } from "./acquired.js";
import {
  BaseStore,
  type StoreOptions,
  checkBrowserName,
  filesOf,
  importScratch,
  inUse,
  isDatabaseFile,
  notFound,
  randomToken,
  retryWhileInUse,
} from "../store.js";
import { BLOCK_SIZE, type BlockChanges, BlockFile } from "./block-file.js";

/** The Web Lock of an IndexedDB database: held by the worker (or page) that has it open. */
function idbLock(name: string): string {
  return `web-sqlite:idb:${name}`;
}

const IDB_NAME = "web-sqlite";
const IDB_VERSION = 1;
const FILES = "files";
const BLOCKS = "blocks";

interface FileRecord {
  size: number;
  blockSize: number;
}

interface IdbFile extends AcquiredFile {
  path: string;
  file: BlockFile;
  /** A scratch file of an import, checked in memory and stored only by replace(). */
  transient: boolean;
}

/** An acquired database's files, and the release of its Web Lock. */
interface Files {
  files: IdbFile[];
  unlock: () => void;
}

/** What this thread lacks for IndexedDB storage, or null when everything is there. */
export function missingIdbCapability(): string | null {
  if (typeof indexedDB === "undefined") return "there is no IndexedDB here";
  if (!lockManager()) {
    return (
      "IndexedDB storage needs Web Locks (navigator.locks, only in secure contexts), which keep " +
      "two tabs from writing one database"
    );
  }
  return null;
}

/** The keys of a file's blocks, from index from on. */
function blocksOf(path: string, from = 0): IDBKeyRange {
  return IDBKeyRange.bound([path, from], [path, Infinity]);
}

function requestOf<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function completion(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () =>
      reject(tx.error ?? new DOMException("the transaction was aborted", "AbortError"));
  });
}

/** A failure of IndexedDB, as the SQLite error it means; what says what was not done. */
function idbFailed(e: unknown, what: string): SQLiteError {
  const { name, message } = (e ?? {}) as { name?: string; message?: string };
  const said = message ? `${name ?? "Error"}: ${message}` : (name ?? String(e));
  if (name === "QuotaExceededError") {
    return new SQLiteError(
      RC.SQLITE_FULL,
      `database or disk is full: the browser's storage quota is exhausted, and IndexedDB did ` +
        `not store ${what} (${said}). Free space (delete databases or other site data) and ` +
        `try again.`,
    );
  }
  return new SQLiteError(
    RC.SQLITE_IOERR,
    `disk I/O error: IndexedDB did not store ${what} (${said})`,
  );
}

/** What the store keeps of a file, as the block file it was; null when there is none. */
async function loadFiles(
  idb: IDBDatabase,
  paths: string[],
): Promise<Map<string, BlockFile | null>> {
  const tx = idb.transaction([FILES, BLOCKS], "readonly");
  const files = tx.objectStore(FILES);
  const blocks = tx.objectStore(BLOCKS);
  const loaded = new Map<string, BlockFile | null>();
  await Promise.all(
    paths.map(async (path) => {
      const [record, keys, values] = await Promise.all([
        requestOf(files.get(path) as IDBRequest<FileRecord | undefined>),
        requestOf(blocks.getAllKeys(blocksOf(path))),
        requestOf(blocks.getAll(blocksOf(path)) as IDBRequest<Uint8Array[]>),
      ]);
      if (!record) return loaded.set(path, null);
      const file = new BlockFile();
      keys.forEach((key, i) =>
        file.write(values[i], (key as [string, number])[1] * record.blockSize),
      );
      file.truncate(record.size);
      file.take(); // as stored: no change
      // Blocks of another size are stored again in this build's, with the next save.
      if (record.blockSize !== BLOCK_SIZE) file.touchAll();
      return loaded.set(path, file);
    }),
  );
  return loaded;
}

export class IdbStore extends BaseStore<Files> {
  readonly kind = "idb";
  readonly host: HostFileSystem;
  private idbPromise: Promise<IDBDatabase> | null = null;
  private idb: IDBDatabase | null = null;
  /** The acquired files, and the host's handles on them (a file SQLite creates starts empty). */
  private readonly files = new AcquiredFiles<IdbFile>("IndexedDB", (f) => {
    f.file.truncate(0);
    this.touch(f);
  });
  /** Imports' scratch files, whole in memory until replace() stores them in one transaction. */
  private readonly scratches = new Map<string, BlockFile>();
  /** Files with changes not saved yet. */
  private readonly changed = new Set<IdbFile>();
  /** Syncs SQLite asked for, and how many of them a committed save holds. */
  private syncs = 0;
  private savedSyncs = 0;
  /** syncs when settle() was last called: what the request before it did. */
  private settledSyncs = 0;
  private inFlight: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(options: StoreOptions = {}) {
    super(options);
    this.host = this.makeHost();
  }

  private database(): Promise<IDBDatabase> {
    this.idbPromise ??= new Promise<IDBDatabase>((resolve, reject) => {
      const unavailable = (why: string) =>
        new WebSqliteError(
          "UNSUPPORTED",
          `IndexedDB is not available here (${why}); private browsing modes may block it. Use ` +
            `{ storage: "memory" } instead.`,
        );
      if (typeof indexedDB === "undefined") return reject(unavailable("no indexedDB"));
      let request: IDBOpenDBRequest;
      try {
        request = indexedDB.open(IDB_NAME, IDB_VERSION);
      } catch (e) {
        return reject(unavailable(`${(e as Error).name}: ${(e as Error).message}`));
      }
      request.onupgradeneeded = () => {
        const db = request.result;
        for (const store of [FILES, BLOCKS]) {
          if (!db.objectStoreNames.contains(store)) db.createObjectStore(store);
        }
      };
      request.onsuccess = () => resolve((this.idb = request.result));
      request.onerror = () => {
        const e = request.error;
        reject(unavailable(`${e?.name ?? "Error"}: ${e?.message ?? "indexedDB.open failed"}`));
      };
    });
    this.idbPromise.catch(() => (this.idbPromise = null));
    return this.idbPromise;
  }

  path(name: string): string {
    return checkBrowserName(name);
  }

  /** Why IndexedDB cannot keep databases here (no Web Locks to keep tabs apart), or null. */
  async unusable(): Promise<string | null> {
    return missingIdbCapability();
  }

  holds(path: string): boolean {
    return this.files.byPath.has(path);
  }

  /** Takes the database's Web Lock; DATABASE_IN_USE when another tab or worker holds it. */
  private async lock(name: string): Promise<() => void> {
    const locks = lockManager();
    if (!locks) {
      throw new WebSqliteError(
        "UNSUPPORTED",
        `${missingIdbCapability()}; use { storage: "memory" }`,
      );
    }
    const release = await new Promise<(() => void) | null>((resolve, reject) => {
      locks
        .request(idbLock(name), { ifAvailable: true }, (lock) => {
          if (!lock) return resolve(null);
          return new Promise<void>((done) => resolve(done));
        })
        .catch(reject);
    });
    if (!release) throw inUse(name);
    return release;
  }

  /** Loads the database's files into memory; with create false, a missing one is CANTOPEN. */
  protected async open(name: string, create: boolean): Promise<Files> {
    const idb = await this.database();
    const unlock = await this.lock(name);
    try {
      const paths = filesOf(name);
      const scratch = this.scratches.get(name);
      let stored: Map<string, BlockFile | null>;
      try {
        stored = scratch ? new Map([[name, scratch]]) : await loadFiles(idb, paths);
      } catch (e) {
        throw idbFailed(e, `'${name}': it could not be read`);
      }
      if (!create && !stored.get(name)) throw notFound(name);
      const files = paths.map((path) => {
        const file = stored.get(path) ?? null;
        // The database itself is created when first opened, as in OPFS.
        const exists = file !== null || path === name;
        return { path, file: file ?? new BlockFile(), exists, transient: !!scratch };
      });
      for (const f of files) this.files.byPath.set(f.path, f);
      // A new database is stored at once (listDatabases shows it), as is a file to store again.
      for (const f of files) if (f.exists && (!stored.get(f.path) || f.file.changed)) this.touch(f);
      return { files, unlock };
    } catch (e) {
      unlock();
      throw e;
    }
  }

  /**
   * Lets the database go once its changes are stored. If they cannot be, it stays here (with
   * its lock) until a later save stores them, and the error says why: nothing is dropped.
   */
  protected override async released(): Promise<void> {
    await this.save();
    this.letGo();
  }

  /** Drops the databases no one holds any more whose changes are all stored. */
  private letGo(): void {
    for (const [name, held] of this.held) {
      if (held.refs > 0 || held.files.files.some((f) => this.changed.has(f))) continue;
      this.held.delete(name);
      void this.close(name, held.files);
    }
  }

  protected async close(_name: string, { files, unlock }: Files): Promise<void> {
    for (const f of files) this.files.byPath.delete(f.path);
    unlock();
  }

  /**
   * After a request: a promise to wait for when the request made SQLite sync (a durable commit)
   * and no committed save holds that yet, else null; the changes are saved either way (those of
   * a failed save again: a request that only reads is not failed by a save it did not need).
   * With all, a promise of the save of every change so far.
   */
  settle(all = false): Promise<void> | null {
    const synced = this.syncs > this.settledSyncs;
    this.settledSyncs = this.syncs;
    if (all || (synced && this.savedSyncs < this.syncs)) return this.save();
    if (this.changed.size > 0) this.save().catch(() => {});
    return null;
  }

  /** A change to f: saved with the next save, at the latest after the current task. */
  private touch(f: IdbFile): void {
    if (f.transient) return;
    this.changed.add(f);
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.save().catch(() => {});
    }, 0);
  }

  /** Saves every change made so far; resolves once IndexedDB committed them. */
  private save(): Promise<void> {
    if (this.inFlight) {
      // The next save starts when this one ends, and takes the changes made until then.
      this.queued ??= this.inFlight
        .catch(() => {})
        .then(() => {
          this.queued = null;
          return this.save();
        });
      return this.queued;
    }
    const saving = this.saveNow();
    this.inFlight = saving;
    saving.then(
      () => this.inFlight === saving && (this.inFlight = null),
      () => this.inFlight === saving && (this.inFlight = null),
    );
    return saving;
  }

  private async saveNow(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const syncs = this.syncs;
    if (this.changed.size === 0) {
      this.savedSyncs = Math.max(this.savedSyncs, syncs);
      return;
    }
    const files = [...this.changed];
    this.changed.clear();
    const taken: (BlockChanges | null)[] = files.map((f) => (f.exists ? f.file.take() : null));
    // The changes not stored go with the next save (and a durable commit waits for it).
    const undo = () =>
      files.forEach((f, i) => {
        const changes = taken[i];
        if (changes) f.file.undo(changes);
        if (this.files.byPath.get(f.path) === f) this.changed.add(f);
      });
    let done: Promise<void>;
    try {
      const durability = syncs > this.savedSyncs ? "strict" : "relaxed";
      const tx = this.idb!.transaction([FILES, BLOCKS], "readwrite", { durability });
      done = completion(tx);
      const fileStore = tx.objectStore(FILES);
      const blockStore = tx.objectStore(BLOCKS);
      files.forEach((f, i) => {
        const changes = taken[i];
        if (!changes) {
          fileStore.delete(f.path);
          blockStore.delete(blocksOf(f.path));
          return;
        }
        if (changes.cutFrom !== null) blockStore.delete(blocksOf(f.path, changes.cutFrom));
        for (const [index, block] of changes.blocks) blockStore.put(block, [f.path, index]);
        fileStore.put({ size: changes.size, blockSize: BLOCK_SIZE } satisfies FileRecord, f.path);
      });
    } catch (e) {
      undo();
      throw idbFailed(e, "the last changes");
    }
    try {
      await done;
    } catch (e) {
      undo();
      throw idbFailed(
        e,
        "the last changes, which stay in memory here and are stored with the next commit",
      );
    }
    this.savedSyncs = Math.max(this.savedSyncs, syncs);
    this.letGo(); // a database whose release could not store its changes before
  }

  protected async databases(): Promise<string[]> {
    return (await this.filesIn()).filter(isDatabaseFile);
  }

  protected async filesIn(): Promise<string[]> {
    const idb = await this.database();
    const tx = idb.transaction(FILES, "readonly");
    return (await requestOf(tx.objectStore(FILES).getAllKeys())) as string[];
  }

  /** An import's scratch file stays in this worker's memory: none is ever stored, or left. */
  protected async removeIfAbandoned(): Promise<void> {}

  /** Runs fill on a write transaction that first drops name's files; resolves once committed. */
  private async rewrite(
    name: string,
    fill: (files: IDBObjectStore, blocks: IDBObjectStore) => void,
  ): Promise<boolean> {
    const idb = await this.database();
    const unlock = await retryWhileInUse(this.contentionMs, () => this.lock(name));
    try {
      const tx = idb.transaction([FILES, BLOCKS], "readwrite", { durability: "strict" });
      const done = completion(tx);
      const files = tx.objectStore(FILES);
      const blocks = tx.objectStore(BLOCKS);
      const existed = requestOf(files.getKey(name)).then((key) => key !== undefined);
      for (const path of filesOf(name)) {
        files.delete(path);
        blocks.delete(blocksOf(path));
      }
      fill(files, blocks);
      try {
        await done;
      } catch (e) {
        throw idbFailed(e, `the change to '${name}', which was not made`);
      }
      return await existed;
    } finally {
      unlock();
    }
  }

  protected removeFiles(name: string): Promise<boolean> {
    return this.rewrite(name, () => {});
  }

  async writeScratch(name: string, chunks: AsyncIterable<Uint8Array>): Promise<string> {
    const scratch = importScratch(randomToken(), name);
    const file = new BlockFile();
    for await (const chunk of chunks) file.write(chunk, file.size);
    this.scratches.set(scratch, file);
    return scratch;
  }

  /** Stores the scratch file as name, its side files dropped, in one transaction. */
  async replace(scratch: string, name: string): Promise<void> {
    const file = this.scratches.get(scratch);
    if (!file) throw new Error(`IdbStore: no scratch file ${scratch}`);
    const { size, blocks } = file.take();
    await this.rewrite(name, (fileStore, blockStore) => {
      for (const [index, block] of blocks) blockStore.put(block, [name, index]);
      fileStore.put({ size, blockSize: BLOCK_SIZE } satisfies FileRecord, name);
    });
    this.scratches.delete(scratch);
  }

  async discard(scratch: string): Promise<void> {
    this.scratches.delete(scratch);
  }

  private makeHost(): HostFileSystem {
    return this.files.host({
      read: (f, dest, offset) => f.file.read(dest, offset),
      write: (f, src, offset) => {
        f.file.write(src, offset);
        this.touch(f);
        return RC.SQLITE_OK;
      },
      truncate: (f, size) => {
        f.file.truncate(size);
        this.touch(f);
        return RC.SQLITE_OK;
      },
      sync: (f) => {
        if (!f.transient) this.syncs++;
        return RC.SQLITE_OK;
      },
      size: (f) => f.file.size,
      remove: (f) => {
        f.file.truncate(0);
        this.touch(f);
      },
    });
  }
}
