/**
 * The storages a database can live in, each described once: what it is called in messages, how
 * it opens, and what it keeps. Where each is available, and how its store is made, is the
 * platform's (platform.ts, platform.browser.ts: makeStores).
 */
export const STORAGE_KINDS = {
  /** OPFS files (a browser's dedicated worker, where sync access handles exist). */
  opfs: { title: "OPFS", persistent: true, opensAsynchronously: true },
  /** IndexedDB records, the files as blocks (browsers). */
  idb: { title: "IndexedDB", persistent: true, opensAsynchronously: true },
  /** Files on disk (Node). */
  file: { title: "the file system", persistent: true, opensAsynchronously: false },
  /** Wasm memory, until the database is closed. */
  memory: { title: "memory", persistent: false, opensAsynchronously: false },
} as const;

/**
 * Where a database lives: "opfs" or "idb" (IndexedDB) in browsers, "file" in Node keep it in
 * one of the worker's persistent stores; "memory" keeps it in wasm memory until it is closed.
 */
export type Storage = keyof typeof STORAGE_KINDS;

/** The storages that keep databases: OPFS and IndexedDB in browsers, files in Node. */
export type PersistentStorage = {
  [K in Storage]: (typeof STORAGE_KINDS)[K]["persistent"] extends true ? K : never;
}[Storage];

export const STORAGES = Object.keys(STORAGE_KINDS) as Storage[];
export const PERSISTENT = STORAGES.filter(
  (s) => STORAGE_KINDS[s].persistent,
) as PersistentStorage[];

/** Whether a storage keeps its databases (every one but memory). */
export function isPersistent(storage: Storage): storage is PersistentStorage {
  return (STORAGE_KINDS as Partial<typeof STORAGE_KINDS>)[storage]?.persistent === true;
}
