/**
 * The key-value records of SQLite's kvvfs in Web Storage: class "local" in localStorage,
 * "session" in sessionStorage, under keys "kvvfs-<class>-<record>".
 */
import type { KeyValueHost } from "../runtime.js";

/** Whether this thread has Web Storage (a page's main thread does; workers and Node do not). */
export function hasWebStorage(): boolean {
  try {
    return typeof localStorage !== "undefined" && typeof sessionStorage !== "undefined";
  } catch {
    return false; // storage access denied (e.g. sandboxed frames)
  }
}

export function webStorageOf(cls: string): Storage {
  return cls === "session" ? sessionStorage : localStorage;
}

export function recordPrefix(cls: string): string {
  return `kvvfs-${cls}-`;
}

export const webStorageKv: KeyValueHost = {
  read: (cls, key) => webStorageOf(cls).getItem(recordPrefix(cls) + key),
  write: (cls, key, value) => webStorageOf(cls).setItem(recordPrefix(cls) + key, value),
  delete: (cls, key) => webStorageOf(cls).removeItem(recordPrefix(cls) + key),
};
