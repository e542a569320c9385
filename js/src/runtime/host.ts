import { ResultCode as RC } from "../generated/constants.js";

/**
 * The host-file seam on the JavaScript side: what the wasm core's "wsq-host" VFS calls through
 * its imports. An implementation works on whole files by path and handle; it may throw, and the
 * runtime turns a throw into the SQLite error code of the operation (a quota error into
 * SQLITE_FULL), so a failing host never takes the instance down.
 */
export interface HostFileSystem {
  /** Opens path with SQLITE_OPEN_* flags; returns a handle (>= 0) or a negated SQLite code. */
  open(path: string, flags: number): number;
  /** Returns 0 or a SQLite code. */
  close(handle: number): number;
  /** Reads into dest from offset; returns the bytes read (fewer at end of file) or -code. */
  read(handle: number, dest: Uint8Array, offset: number): number;
  /** Writes src at offset; returns 0 or a SQLite code. */
  write(handle: number, src: Uint8Array, offset: number): number;
  truncate(handle: number, size: number): number;
  /** flags are SQLITE_SYNC_* bits. */
  sync(handle: number, flags: number): number;
  /** Returns the size in bytes or -code. */
  size(handle: number): number;
  /** Returns 0, SQLITE_IOERR_DELETE_NOENT when missing, or another code. */
  delete(path: string, syncDirectory: boolean): number;
  /** Returns 1 if the file exists (SQLITE_ACCESS_EXISTS) or is readable and writable, else 0. */
  access(path: string, flags: number): number;
}

/** A host for builds that have no file system: every open fails with SQLITE_CANTOPEN. */
export const noFileSystem: HostFileSystem = {
  open: () => -RC.SQLITE_CANTOPEN,
  close: () => RC.SQLITE_OK,
  read: () => -RC.SQLITE_IOERR_READ,
  write: () => RC.SQLITE_IOERR_WRITE,
  truncate: () => RC.SQLITE_IOERR_TRUNCATE,
  sync: () => RC.SQLITE_IOERR_FSYNC,
  size: () => -RC.SQLITE_IOERR_FSTAT,
  delete: () => RC.SQLITE_IOERR_DELETE_NOENT,
  access: () => 0,
};
