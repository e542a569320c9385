/**
 * The host-file seam over node:fs: databases are ordinary files, named by path.
 * Synchronous calls only: the wasm core calls the host synchronously.
 */
import * as fs from "node:fs";
import * as path from "node:path";

import { HostFlag, OpenFlag, ResultCode as RC } from "../../generated/constants.js";
import type { HostFileSystem } from "../host.js";

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
