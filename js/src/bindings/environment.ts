/**
 * The runtime and the stores the synchronous API uses when it is not given its own: loaded once
 * per thread, with OPFS (in a dedicated worker) and IndexedDB in browsers, files in Node.
 */
import { WebSqliteError } from "../errors.js";
import { threadStores } from "../platform.js";
import type { Stores } from "../runtime/stores.js";
import { type Runtime, type WasmSource, loadRuntime } from "../runtime/runtime.js";
import { hasWebStorage, webStorageKv } from "../runtime/hosts/web-storage.js";

export interface Environment {
  runtime: Runtime;
  /** Where persistent databases live (OPFS, IndexedDB, files), and which is preferred. */
  stores: Stores;
}

/** SQLite's log lines of the shared runtime go to every listener. */
export const logListeners = new Set<(code: number, message: string) => void>();

let loading: Promise<Environment> | null = null;
let current: Environment | null = null;
let stores: Stores | null = null;

/** Loads (once) the shared runtime; a runtime that crashed is replaced by a fresh one. */
export function sharedEnvironment(wasm?: WasmSource): Promise<Environment> {
  if (current && !current.runtime.dead) return Promise.resolve(current);
  loading ??= (async () => {
    const s = (stores ??= threadStores());
    // Chosen now, so that `new Database(name)` knows where a database without a storage goes.
    const preferred = s.preferred();
    const runtime = await loadRuntime({
      wasm,
      host: s.host,
      kv: hasWebStorage() ? webStorageKv : undefined,
      log: (code, message) => {
        for (const listener of logListeners) {
          try {
            listener(code, message);
          } catch {
            // A failing log callback must not break SQLite.
          }
        }
      },
    });
    await preferred;
    current = { runtime, stores: s };
    return current;
  })().finally(() => (loading = null));
  return loading;
}

/** The loaded shared environment, for synchronous constructors. */
export function loadedEnvironment(): Environment {
  if (!current || current.runtime.dead) {
    throw new WebSqliteError(
      "NOT_LOADED",
      "web-sqlite's wasm is not loaded in this thread yet: `await Database.ready()` once first " +
        "(or use `await Database.open(...)`, which loads it)",
    );
  }
  return current;
}
