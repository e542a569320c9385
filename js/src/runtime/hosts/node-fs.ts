/**
 * The host-file seam over node:fs: databases are ordinary files, named by path.
 * Synchronous calls only: the wasm core calls the host synchronously.
 */
import * as fs from "node:fs";
import * as path from "node:path";

import { HostFlag, OpenFlag, ResultCode as RC } from "../../generated/constants.js";
import type { HostFileSystem } from "../host.js";
import {
  BaseStore,
  SCRATCH_PREFIX,
  SIDE_FILES,
  checkNotSideFile,
  filesOf,
  importScratch,
  inUse,
  invalidName,
  openHere,
} from "../store.js";
import { type ProcessLock, lockFile } from "./process-lock.js";

function isFull(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === "ENOSPC" || code === "EDQUOT";
}

export class NodeFileSystem implements HostFileSystem {
  open(file: string, flags: number): number {
    let oflags =
      flags & OpenFlag.SQLITE_OPEN_READWRITE ? fs.constants.O_RDWR : fs.constants.O_RDONLY;
    if (flags & OpenFlag.SQLITE_OPEN_CREATE) oflags |= fs.constants.O_CREAT;
    if (flags & OpenFlag.SQLITE_OPEN_EXCLUSIVE) oflags |= fs.constants.O_EXCL;
    try {
      return fs.openSync(file, oflags, 0o644);
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === "EISDIR"
        ? -RC.SQLITE_CANTOPEN_ISDIR
        : -RC.SQLITE_CANTOPEN;
    }
  }

  close(fd: number): number {
    fs.closeSync(fd);
    return RC.SQLITE_OK;
  }

  read(fd: number, dest: Uint8Array, offset: number): number {
    let done = 0;
    while (done < dest.length) {
      const got = fs.readSync(fd, dest, done, dest.length - done, offset + done);
      if (got === 0) break;
      done += got;
    }
    return done;
  }

  write(fd: number, src: Uint8Array, offset: number): number {
    try {
      let done = 0;
      while (done < src.length) {
        done += fs.writeSync(fd, src, done, src.length - done, offset + done);
      }
      return RC.SQLITE_OK;
    } catch (e) {
      return isFull(e) ? RC.SQLITE_FULL : RC.SQLITE_IOERR_WRITE;
    }
  }

  truncate(fd: number, size: number): number {
    fs.ftruncateSync(fd, size);
    return RC.SQLITE_OK;
  }

  sync(fd: number, flags: number): number {
    if (flags & HostFlag.SQLITE_SYNC_DATAONLY) fs.fdatasyncSync(fd);
    else fs.fsyncSync(fd);
    return RC.SQLITE_OK;
  }

  size(fd: number): number {
    return fs.fstatSync(fd).size;
  }

  delete(file: string, syncDirectory: boolean): number {
    try {
      fs.unlinkSync(file);
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === "ENOENT"
        ? RC.SQLITE_IOERR_DELETE_NOENT
        : RC.SQLITE_IOERR_DELETE;
    }
    if (syncDirectory) {
      const dir = fs.openSync(path.dirname(file), "r");
      try {
        fs.fsyncSync(dir);
      } finally {
        fs.closeSync(dir);
      }
    }
    return RC.SQLITE_OK;
  }

  access(file: string, flags: number): number {
    const mode =
      flags === HostFlag.SQLITE_ACCESS_EXISTS
        ? fs.constants.F_OK
        : fs.constants.R_OK | fs.constants.W_OK;
    try {
      fs.accessSync(file, mode);
      return 1;
    } catch {
      return 0;
    }
  }
}

const SQLITE_HEADER = "SQLite format 3\0";

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Taking the file lock of a database another process holds. */
function inAnotherProcess(name: string): Error {
  return inUse(
    name,
    "by another process (or another web-sqlite runtime of this process): a database file is " +
      "open in one process at a time. Close it there first, or reach it through that process",
  );
}

/**
 * Databases as files in Node: a name is a path, relative to the working directory. A database
 * open here holds a lock on its file for the whole process (process-lock.ts), so another process
 * gets DATABASE_IN_USE instead of writing the file at the same time; within the process, the
 * core's locks keep connections apart.
 */
export class NodeStore extends BaseStore<ProcessLock> {
  readonly kind = "file";
  readonly host = new NodeFileSystem();

  /** Another process's lock is not waited for: DATABASE_IN_USE at once. */
  constructor() {
    super({}, 0);
  }

  path(name: string): string {
    if (typeof name !== "string" || name.length === 0) throw invalidName(name, "it is empty");
    if (name.includes("\0")) throw invalidName(name, "it contains a NUL character");
    if (path.basename(name).startsWith(SCRATCH_PREFIX)) {
      throw invalidName(name, `the prefix "${SCRATCH_PREFIX}" is reserved for scratch files`);
    }
    checkNotSideFile(name);
    return path.resolve(name);
  }

  /** A database is held by its file (a name this store already checked, or a scratch file). */
  protected override key(name: string): string {
    return path.resolve(name);
  }

  /** The directory of a database's file; the store's is the working directory. */
  protected override dirOf(name?: string): string {
    return name === undefined ? "." : path.dirname(path.resolve(name));
  }

  /** Node's host opens any file by its path: it is the only store of its runtime. */
  holds(_path: string): boolean {
    return true;
  }

  protected async open(name: string): Promise<ProcessLock> {
    const p = this.key(name);
    const lock = await lockFile(p);
    if (!lock) throw inAnotherProcess(name);
    await this.sweep(path.dirname(p), path.basename(p));
    return lock;
  }

  protected async close(_name: string, lock: ProcessLock): Promise<void> {
    lock.release();
  }

  protected async filesIn(dir: string): Promise<string[]> {
    try {
      return await fs.promises.readdir(dir);
    } catch {
      return []; // no such directory: nothing in it
    }
  }

  /**
   * An import's scratch file is abandoned when its process is gone. Those of live processes
   * stay, this one's included (its other threads may be importing).
   */
  protected async removeIfAbandoned(dir: string, file: string, owner: string): Promise<void> {
    if (!/^\d+$/.test(owner)) return;
    const pid = Number(owner);
    if (pid === process.pid || processAlive(pid)) return;
    await fs.promises.rm(path.join(dir, file), { force: true });
  }

  /** Runs fn on a database that is not open here, holding its file lock (so no process has it). */
  private async exclusively<T>(name: string, fn: () => Promise<T>): Promise<T> {
    if (this.isAcquired(name)) throw openHere(name, "change");
    await this.acquire(name);
    try {
      return await fn();
    } finally {
      await this.release(name);
    }
  }

  /** The SQLite databases in the working directory (files that start with SQLite's header). */
  protected async databases(): Promise<string[]> {
    const names: string[] = [];
    for (const entry of await fs.promises.readdir(".", { withFileTypes: true })) {
      if (!entry.isFile() || entry.name.startsWith(SCRATCH_PREFIX)) continue;
      const header = Buffer.alloc(16);
      const fd = await fs.promises.open(entry.name, "r");
      try {
        await fd.read(header, 0, 16, 0);
      } finally {
        await fd.close();
      }
      if (header.toString("latin1") === SQLITE_HEADER) names.push(entry.name);
    }
    return names;
  }

  protected async removeFiles(name: string): Promise<boolean> {
    const p = this.key(name);
    return this.exclusively(name, async () => {
      let existed = true;
      for (const file of filesOf(p)) {
        try {
          await fs.promises.unlink(file);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
          if (file === p) existed = false;
        }
      }
      return existed;
    });
  }

  async writeScratch(name: string, chunks: AsyncIterable<Uint8Array>): Promise<string> {
    const p = this.path(name);
    await this.sweep(path.dirname(p));
    const file = importScratch(String(process.pid), path.basename(p));
    const scratch = path.join(path.dirname(p), file);
    const fd = await fs.promises.open(scratch, "w");
    try {
      for await (const chunk of chunks) await fd.write(chunk);
      await fd.sync();
    } catch (e) {
      await fd.close();
      await this.discard(scratch);
      throw e;
    }
    await fd.close();
    return scratch;
  }

  async replace(scratch: string, name: string): Promise<void> {
    const p = this.path(name);
    await this.exclusively(name, async () => {
      for (const side of SIDE_FILES) await fs.promises.rm(p + side, { force: true });
      await fs.promises.rename(scratch, p);
    });
  }

  override scratch(base: string): string {
    return path.resolve(SCRATCH_PREFIX + base);
  }

  async discard(scratch: string): Promise<void> {
    await fs.promises.rm(scratch, { force: true });
  }
}
