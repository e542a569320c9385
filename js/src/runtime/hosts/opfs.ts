/**
 * OPFS storage for the worker: the host-file seam over FileSystemSyncAccessHandle, and the
 * store operations around it.
 *
 * Assumes: a dedicated worker (sync access handles exist nowhere else), flat file names in the
 * origin's OPFS root. Guarantees: a database `app.db` is the OPFS file `app.db`, its WAL
 * `app.db-wal` (or journal `app.db-journal`) beside it. Access handles are exclusive per file
 * across the whole origin, so holding them for as long as a database is open is what keeps a
 * second tab out; that tab gets DATABASE_IN_USE instead of a raw DOMException.
 *
 * Handles can only be created asynchronously, while SQLite opens files synchronously. So
 * acquire() opens the database's handle and those of its side files (journal, WAL) before the
 * connection opens, and the host's open() only looks them up. A side file that SQLite has not
 * created, or has deleted, stays behind its handle with zero length and is marked absent; when
 * the database is released, absent side files are removed from OPFS.
 */
import { ResultCode as RC } from "../../generated/constants.js";
import { SQLiteError, WebSqliteError } from "../../errors.js";
import type { HostFileSystem } from "../host.js";
import { lockManager } from "../locks.js";
import { type AcquiredFile, AcquiredFiles } from "./acquired.js";
import {
  BaseStore,
  SCRATCH_PREFIX,
  SIDE_FILES,
  type StoreOptions,
  checkBrowserName,
  filesOf,
  importScratch,
  inUse,
  isDatabaseFile,
  notFound,
  randomToken,
} from "../store.js";

/** The part of FileSystemSyncAccessHandle used here (in lib.webworker, not lib.dom). */
interface SyncAccessHandle {
  read(buffer: Uint8Array, options: { at: number }): number;
  write(buffer: Uint8Array, options: { at: number }): number;
  truncate(size: number): void;
  getSize(): number;
  flush(): void;
  close(): void;
}

interface FileHandle {
  createSyncAccessHandle(): Promise<SyncAccessHandle>;
  move?(name: string): Promise<void>;
}

/** The Web Lock an import holds on its scratch file while it writes it. */
function scratchLock(scratch: string): string {
  return `web-sqlite:${scratch}`;
}

interface DirectoryHandle {
  getFileHandle(name: string, options?: { create?: boolean }): Promise<FileHandle>;
  removeEntry(name: string): Promise<void>;
  keys(): AsyncIterable<string>;
}

interface OpfsFile extends AcquiredFile {
  handle: SyncAccessHandle;
}

function isNamed(e: unknown, ...names: string[]): boolean {
  return names.includes((e as { name?: string } | null)?.name ?? "");
}

/**
 * What this thread lacks for OPFS storage, or null when everything is there. A page does not
 * check for sync access handles: those exist only in the dedicated worker it starts.
 */
export function missingOpfsCapability(needSyncHandles = true): string | null {
  const g: {
    isSecureContext?: boolean;
    navigator?: { storage?: { getDirectory?: unknown } };
    FileSystemFileHandle?: { prototype: Record<string, unknown> };
  } = globalThis as never;
  if (g.isSecureContext === false) {
    return "OPFS needs a secure context: serve the page over https:// or from localhost";
  }
  if (typeof g.navigator?.storage?.getDirectory !== "function") {
    return "this browser has no Origin Private File System (navigator.storage.getDirectory)";
  }
  if (
    needSyncHandles &&
    g.FileSystemFileHandle &&
    typeof g.FileSystemFileHandle.prototype.createSyncAccessHandle !== "function"
  ) {
    return "this browser has no OPFS synchronous access handles (createSyncAccessHandle)";
  }
  return null;
}

/** UNSUPPORTED, saying what is missing and what to do instead. */
export function opfsUnsupported(missing: string): WebSqliteError {
  return new WebSqliteError(
    "UNSUPPORTED",
    `${missing}. Where OPFS is unavailable, use { storage: "idb" } (IndexedDB, the default ` +
      `there) or { storage: "memory" }.`,
  );
}

/** What a browser that has the API but cannot open sync access handles said. */
function noSyncHandles(e: unknown): string {
  return (
    "this browser's OPFS cannot open files synchronously " +
    `(createSyncAccessHandle: ${(e as Error).name}: ${(e as Error).message})`
  );
}

export class OpfsStore extends BaseStore<Map<string, OpfsFile>> {
  readonly kind = "opfs";
  readonly host: HostFileSystem;
  private rootPromise: Promise<DirectoryHandle> | null = null;
  /** The acquired files, and the host's handles on them (a file SQLite creates is emptied). */
  private readonly files = new AcquiredFiles<OpfsFile>("OPFS", (f) => f.handle.truncate(0));
  /** Releases the Web Lock of each scratch file an import of this worker is writing. */
  private readonly writing = new Map<string, () => void>();

  constructor(options: StoreOptions = {}) {
    super(options);
    this.host = this.makeHost();
  }

  private root(): Promise<DirectoryHandle> {
    this.rootPromise ??= (async () => {
      const missing = missingOpfsCapability();
      if (missing) throw opfsUnsupported(missing);
      try {
        return (await navigator.storage.getDirectory()) as unknown as DirectoryHandle;
      } catch (e) {
        throw opfsUnsupported(
          `the Origin Private File System is not available here (${(e as Error).name}: ` +
            `${(e as Error).message}); private browsing modes may block it`,
        );
      }
    })();
    this.rootPromise.catch(() => (this.rootPromise = null));
    return this.rootPromise;
  }

  path(name: string): string {
    return checkBrowserName(name);
  }

  /**
   * Why OPFS cannot keep databases here, or null when it can: the API is there, the directory
   * opens, and a sync access handle opens on a scratch file. Only what will never work counts
   * (a browser without the API or its sync handles, a blocked directory); a passing failure
   * says null, so that the open that follows reports it, rather than databases moving elsewhere.
   */
  async unusable(): Promise<string | null> {
    const missing = missingOpfsCapability();
    if (missing) return missing;
    let dir: DirectoryHandle;
    try {
      dir = await this.root();
    } catch (e) {
      return (e as Error).message;
    }
    const probe = `${SCRATCH_PREFIX}probe-${randomToken()}`;
    try {
      const access = await (
        await dir.getFileHandle(probe, { create: true })
      ).createSyncAccessHandle();
      access.close();
      return null;
    } catch (e) {
      return isNamed(e, "NotSupportedError") ? noSyncHandles(e) : null;
    } finally {
      await dir.removeEntry(probe).catch(() => {});
    }
  }

  holds(path: string): boolean {
    return this.files.byPath.has(path);
  }

  protected async open(name: string, create: boolean): Promise<Map<string, OpfsFile>> {
    const dir = await this.root();
    await this.sweep("", name);
    if (!create) {
      try {
        await dir.getFileHandle(name);
      } catch (e) {
        if (!isNamed(e, "NotFoundError")) throw e;
        throw notFound(name);
      }
    }
    const files = new Map<string, OpfsFile>();
    try {
      // Both side files SQLite may open (the journal, the WAL): handles open only asynchronously.
      for (const file of filesOf(name)) {
        let exists = true;
        let handle: FileHandle;
        try {
          handle = await dir.getFileHandle(file);
        } catch (e) {
          if (!isNamed(e, "NotFoundError")) throw e;
          exists = file === name; // the database itself is created when first opened
          handle = await dir.getFileHandle(file, { create: true });
        }
        const access = await handle.createSyncAccessHandle();
        if (exists && file !== name && access.getSize() === 0) exists = false;
        files.set(file, { handle: access, exists });
      }
    } catch (e) {
      for (const f of files.values()) f.handle.close();
      if (isNamed(e, "NoModificationAllowedError", "InvalidStateError")) throw inUse(name);
      if (isNamed(e, "NotSupportedError")) throw opfsUnsupported(noSyncHandles(e));
      throw e;
    }
    for (const [file, f] of files) this.files.byPath.set(file, f);
    return files;
  }

  protected async close(name: string, files: Map<string, OpfsFile>): Promise<void> {
    for (const file of files.keys()) this.files.byPath.delete(file);
    const dir = await this.root();
    for (const [file, f] of files) {
      const absent = !f.exists || (file !== name && f.handle.getSize() === 0);
      f.handle.close();
      // An absent side file is removed; so is the file itself if it was deleted (the self-test
      // does; SQLite never deletes a database).
      if (absent) await dir.removeEntry(file).catch(() => {});
    }
  }

  protected async filesIn(): Promise<string[]> {
    const files: string[] = [];
    for await (const file of (await this.root()).keys()) files.push(file);
    return files;
  }

  /** An import's scratch file is abandoned when its Web Lock is free (the writer is gone). */
  protected async removeIfAbandoned(_dir: string, file: string): Promise<void> {
    const locks = lockManager();
    if (!locks) return;
    const dir = await this.root();
    await locks.request(scratchLock(file), { ifAvailable: true }, async (lock) => {
      if (lock) await dir.removeEntry(file).catch(() => {});
    });
  }

  protected async databases(): Promise<string[]> {
    return (await this.filesIn()).filter(isDatabaseFile);
  }

  protected async removeFiles(name: string): Promise<boolean> {
    const dir = await this.root();
    let existed = true;
    for (const file of filesOf(name)) {
      try {
        await dir.removeEntry(file);
      } catch (e) {
        if (isNamed(e, "NotFoundError")) {
          if (file === name) existed = false;
          continue;
        }
        if (isNamed(e, "NoModificationAllowedError", "InvalidStateError")) throw inUse(name);
        throw e;
      }
    }
    return existed;
  }

  async writeScratch(name: string, chunks: AsyncIterable<Uint8Array>): Promise<string> {
    const dir = await this.root();
    await this.sweep("");
    const scratch = importScratch(randomToken(), name);
    await this.lockScratch(scratch);
    let access: SyncAccessHandle;
    try {
      access = await (await dir.getFileHandle(scratch, { create: true })).createSyncAccessHandle();
    } catch (e) {
      await this.discard(scratch);
      throw e;
    }
    try {
      access.truncate(0);
      let at = 0;
      for await (const chunk of chunks) {
        let done = 0;
        while (done < chunk.length) done += access.write(chunk.subarray(done), { at: at + done });
        at += chunk.length;
      }
      access.flush();
    } catch (e) {
      access.close();
      await this.discard(scratch);
      throw e;
    }
    access.close();
    return scratch;
  }

  /** Holds scratch's Web Lock until it is moved in or discarded (the lock ends with the worker). */
  private async lockScratch(scratch: string): Promise<void> {
    const locks = lockManager();
    if (!locks) return;
    await new Promise<void>((held, failed) => {
      locks
        .request(scratchLock(scratch), {}, () => {
          held();
          return new Promise<void>((release) => this.writing.set(scratch, release));
        })
        .catch(failed);
    });
  }

  /**
   * Moves the old database aside, drops its side files, moves the scratch file in, and only
   * then deletes the old one; a failure before the last step puts the old database back.
   */
  async replace(scratch: string, name: string): Promise<void> {
    const dir = await this.root();
    const file = await dir.getFileHandle(scratch);
    if (typeof file.move !== "function") {
      throw new WebSqliteError(
        "UNSUPPORTED",
        "importDatabase needs FileSystemHandle.move() in OPFS, which this browser lacks",
      );
    }
    const backup = `${SCRATCH_PREFIX}old-${name}`;
    let old: FileHandle | null = null;
    try {
      old = await dir.getFileHandle(name);
      await old.move!(backup);
    } catch (e) {
      if (isNamed(e, "NoModificationAllowedError", "InvalidStateError")) throw inUse(name);
      if (!isNamed(e, "NotFoundError")) throw e;
      old = null;
    }
    try {
      for (const side of SIDE_FILES) await dir.removeEntry(name + side).catch(() => {});
      await file.move(name);
    } catch (e) {
      if (old) await old.move!(name).catch(() => {});
      throw e;
    }
    if (old) await dir.removeEntry(backup).catch(() => {});
    this.writing.get(scratch)?.();
    this.writing.delete(scratch);
  }

  async discard(scratch: string): Promise<void> {
    const dir = await this.root();
    await dir.removeEntry(scratch).catch(() => {});
    this.writing.get(scratch)?.();
    this.writing.delete(scratch);
  }

  private makeHost(): HostFileSystem {
    return this.files.host({
      read: (f, dest, offset) => f.handle.read(dest, { at: offset }),
      write: (f, src, offset) => {
        const written = f.handle.write(src, { at: offset });
        return written === src.length ? RC.SQLITE_OK : RC.SQLITE_FULL;
      },
      truncate: (f, size) => {
        f.handle.truncate(size);
        return RC.SQLITE_OK;
      },
      sync: (f) => {
        f.handle.flush();
        return RC.SQLITE_OK;
      },
      size: (f) => f.handle.getSize(),
      // The handle stays open (it cannot be reopened synchronously): the file is emptied and
      // made durable. release() removes it from OPFS.
      remove: (f) => {
        f.handle.truncate(0);
        f.handle.flush();
      },
    });
  }
}
