/**
 * The runtimes and the stores the synchronous API uses when it is not given its own: loaded once
 * per thread, with OPFS (in a dedicated worker) and IndexedDB in browsers, files in Node.
 */
import { threadStores } from "../platform.js";
import type { Stores } from "../runtime/stores.js";
import { type WasmSource, loadRuntime } from "../runtime/runtime.js";
import { cipherWasmOf } from "../runtime/cipher-wasm.js";
import { Runtimes, notLoaded } from "../runtime/runtimes.js";
import { hasWebStorage, webStorageKv } from "../runtime/hosts/web-storage.js";

export interface Environment {
  /** SQLite as it is, and the encryption build once a key asked for it (runtimes.ts). */
  runtimes: Runtimes;
  /** Where persistent databases live (OPFS, IndexedDB, files), and which is preferred. */
  stores: Stores;
}

/** SQLite's log lines of the shared runtime go to every listener. */
export const logListeners = new Set<(code: number, message: string) => void>();

let current: Environment | null = null;

/**
 * The shared environment, its runtime without encryption loaded (so that `new Database()` can
 * open synchronously); with cipher, the encryption build too. A runtime that crashed is replaced
 * by a fresh one.
 */
export async function sharedEnvironment(wasm?: WasmSource, cipher = false): Promise<Environment> {
  if (!current) {
    const stores = threadStores();
    const log = (code: number, message: string) => {
      for (const listener of logListeners) {
        try {
          listener(code, message);
        } catch {
          // A failing log callback must not break SQLite.
        }
      }
    };
    const runtimes = new Runtimes((withCipher) =>
      loadRuntime({
        wasm: withCipher ? cipherWasmOf(wasm) : wasm,
        host: stores.host,
        kv: hasWebStorage() ? webStorageKv : undefined,
        log,
      }),
    );
    current = { runtimes, stores };
  }
  const environment = current;
  // Chosen now, so that `new Database(name)` knows where a database without a storage goes.
  const preferred = environment.stores.preferred();
  await environment.runtimes.ready(false);
  if (cipher) await environment.runtimes.ready(true);
  await preferred;
  return environment;
}

/** The loaded shared environment, for synchronous constructors. */
export function loadedEnvironment(): Environment {
  if (!current || current.runtimes.loaded().length === 0) throw notLoaded();
  return current;
}
