/**
 * The Web Locks of sharing databases between tabs, by name, in a module of their own so that
 * the broker's script stays tiny.
 */

/** The part of navigator.locks used here (Web Locks). */
export interface LockManager {
  request<T>(
    name: string,
    options: { ifAvailable?: boolean; signal?: AbortSignal; mode?: "exclusive" | "shared" },
    callback: (lock: unknown) => Promise<T> | T,
  ): Promise<T>;
}

export function lockManager(): LockManager | null {
  const nav = (globalThis as { navigator?: { locks?: LockManager } }).navigator;
  return nav?.locks ?? null;
}

/** The Web Lock of a database: held by the worker that has its files. */
export function databaseLock(name: string): string {
  return `web-sqlite:db:${name}`;
}

/** The Web Lock of an IndexedDB database: held by the worker (or page) that has it open. */
export function idbLock(name: string): string {
  return `web-sqlite:idb:${name}`;
}

/** The Web Lock the broker holds for as long as it lives: the pages watch it. */
export const BROKER_LOCK = "web-sqlite:broker";

/** The Web Lock a page holds for as long as it lives: its holders watch it. */
export function clientLock(client: string): string {
  return `web-sqlite:client:${client}`;
}
