/**
 * The storages a database can live in, each described once: what it is called in messages, how
 * it opens, what it keeps, and on which platform. A platform's persistent storages are tried in
 * this order for a database opened without a storage option. How each is made, and whether it
 * is available in a thread, is its platform's table (STORES in platform.ts, platform.browser.ts),
 * which the compiler holds to this list.
 */
export const STORAGE_KINDS = {
  /** OPFS files (a browser's dedicated worker, where sync access handles exist). */
  opfs: { title: "OPFS", persistent: true, opensAsynchronously: true, platform: "browser" },
  /** IndexedDB records, the files as blocks (browsers). */
  idb: { title: "IndexedDB", persistent: true, opensAsynchronously: true, platform: "browser" },
  /** Files on disk (Node). */
  file: {
    title: "the file system",
    persistent: true,
    opensAsynchronously: false,
    platform: "node",
  },
  /** Wasm memory, until the database is closed. */
  memory: { title: "memory", persistent: false, opensAsynchronously: false, platform: "any" },
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

/** The persistent storages of a platform ("browser" or "node"). */
export type PersistentStorageOf<P extends "browser" | "node"> = {
  [K in PersistentStorage]: (typeof STORAGE_KINDS)[K]["platform"] extends P ? K : never;
}[PersistentStorage];

export const STORAGES = Object.keys(STORAGE_KINDS) as Storage[];
export const PERSISTENT = STORAGES.filter(
  (s) => STORAGE_KINDS[s].persistent,
) as PersistentStorage[];

/** Whether a storage keeps its databases (every one but memory). */
export function isPersistent(storage: string): storage is PersistentStorage {
  return (
    (STORAGE_KINDS as Partial<Record<string, { persistent: boolean }>>)[storage]?.persistent ===
    true
  );
}
