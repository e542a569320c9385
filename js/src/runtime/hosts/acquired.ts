/**
 * The files a store acquired (opened asynchronously before SQLite needs them) and the host
 * handles SQLite opens on them: the part of the host-file seam OPFS and IndexedDB share.
 */
import { OpenFlag, ResultCode as RC } from "../../generated/constants.js";
import type { HostFileSystem } from "../host.js";

export interface AcquiredFile {
  /** Whether SQLite sees the file: false for a side file not created yet, or deleted. */
  exists: boolean;
}

export class AcquiredFiles<F extends AcquiredFile> {
  /** Every acquired file by path. */
  readonly byPath = new Map<string, F>();
  /** Open host handles: index = host handle. */
  private readonly handles: (F | null)[] = [];
  private readonly what: string;
  private readonly created: (f: F) => void;

  /** @param created makes an absent file exist, empty, when SQLite creates it. */
  constructor(what: string, created: (f: F) => void) {
    this.what = what;
    this.created = created;
  }

  /** The file of an open handle. */
  get(h: number): F {
    const f = this.handles[h];
    if (!f) throw new Error(`${this.what} host handle ${h} is not open`);
    return f;
  }

  /**
   * The host's open: a handle (>= 0) or -SQLITE_CANTOPEN. Only acquired files open: anything
   * else (an unknown ATTACH target, a super-journal) would need an asynchronous open first.
   */
  open(path: string, flags: number): number {
    const f = this.byPath.get(path);
    if (!f) return -RC.SQLITE_CANTOPEN;
    if (!f.exists) {
      if (!(flags & OpenFlag.SQLITE_OPEN_CREATE)) return -RC.SQLITE_CANTOPEN;
      this.created(f);
      f.exists = true;
    }
    const free = this.handles.indexOf(null);
    const h = free >= 0 ? free : this.handles.length;
    this.handles[h] = f;
    return h;
  }

  close(h: number): number {
    this.handles[h] = null;
    return RC.SQLITE_OK;
  }

  /** The host's access: acquired files are readable and writable, so it asks whether one exists. */
  access(path: string): number {
    return this.byPath.get(path)?.exists ? 1 : 0;
  }

  /**
   * The host over these files, given what a store does with one: open, close and access are
   * the table's; delete reaches remove only for a file that exists (else DELETE_NOENT), and
   * remove marks it absent.
   */
  host(ops: FileOps<F>): HostFileSystem {
    const file = (h: number) => this.get(h);
    return {
      open: (path, flags) => this.open(path, flags),
      close: (h) => this.close(h),
      read: (h, dest, offset) => ops.read(file(h), dest, offset),
      write: (h, src, offset) => ops.write(file(h), src, offset),
      truncate: (h, size) => ops.truncate(file(h), size),
      sync: (h) => ops.sync(file(h)),
      size: (h) => ops.size(file(h)),
      delete: (path) => {
        const f = this.byPath.get(path);
        if (!f || !f.exists) return RC.SQLITE_IOERR_DELETE_NOENT;
        ops.remove(f);
        f.exists = false;
        return RC.SQLITE_OK;
      },
      access: (path) => this.access(path),
    };
  }
}

/** What a store does with an acquired file, for the host (HostFileSystem's codes). */
export interface FileOps<F> {
  read(f: F, dest: Uint8Array, offset: number): number;
  write(f: F, src: Uint8Array, offset: number): number;
  truncate(f: F, size: number): number;
  sync(f: F): number;
  size(f: F): number;
  /** Empties a file SQLite deletes (it stays acquired, marked absent). */
  remove(f: F): void;
}
