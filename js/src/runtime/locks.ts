/** Web Locks (navigator.locks), where the platform has them: the one way the library reaches them. */

/** The part of navigator.locks the library uses. */
export interface LockManager {
  request<T>(
    name: string,
    options: { ifAvailable?: boolean; signal?: AbortSignal; mode?: "exclusive" | "shared" },
    callback: (lock: unknown) => Promise<T> | T,
  ): Promise<T>;
}

/** navigator.locks, or null where there are none (Node, an insecure context). */
export function lockManager(): LockManager | null {
  const nav = (globalThis as { navigator?: { locks?: LockManager } }).navigator;
  return nav?.locks ?? null;
}
