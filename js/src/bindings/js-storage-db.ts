/**
 * JsStorageDb: a small database kept in localStorage or sessionStorage, usable synchronously on
 * a page's main thread. It is SQLite's key-value VFS (kvvfs) with its records in Web Storage:
 * every page is a record "kvvfs-<local|session>-<n>", the journal one more.
 *
 * Web Storage holds a few megabytes per site; a write past the quota is SQLITE_FULL and the
 * database stays as it was. It exists only where Web Storage does (not in workers or Node).
 */
import { WebSqliteError } from "../errors.js";
import { hasWebStorage, recordPrefix, webStorageOf } from "../runtime/hosts/web-storage.js";
import type { WasmSource } from "../runtime/runtime.js";
import { SyncDatabase } from "./sync-database.js";
import { loadedEnvironment, sharedEnvironment } from "./environment.js";

function requireWebStorage(): void {
  if (!hasWebStorage()) {
    throw new WebSqliteError(
      "UNSUPPORTED",
      "JsStorageDb needs Web Storage (localStorage / sessionStorage), which only a page's main " +
        "thread has; in a worker use `await Database.open(name)` (OPFS), in Node a file",
    );
  }
}

export class JsStorageDb extends SyncDatabase {
  /** Loads the wasm (once) and opens the database. */
  static async load(
    which: "local" | "session" = "local",
    options: { wasm?: WasmSource } = {},
  ): Promise<JsStorageDb> {
    requireWebStorage();
    await sharedEnvironment(options.wasm);
    return new JsStorageDb(which);
  }

  /**
   * Opens the database of localStorage ("local", kept across sessions) or sessionStorage
   * ("session", kept while the tab lives). The wasm must be loaded: `await Database.ready()`
   * once, or use `await JsStorageDb.load(which)`.
   */
  constructor(which: "local" | "session" = "local") {
    if (which !== "local" && which !== "session") {
      throw new TypeError('JsStorageDb: storage must be "local" or "session"');
    }
    requireWebStorage();
    super(which, { webStorage: which, environment: loadedEnvironment() });
  }

  private get records(): { storage: Storage; prefix: string } {
    return { storage: webStorageOf(this.name), prefix: recordPrefix(this.name) };
  }

  /** Removes every record of this database (it is empty afterwards); returns how many. */
  clearStorage(): number {
    const { storage, prefix } = this.records;
    const keys: string[] = [];
    for (let i = 0; i < storage.length; i++) {
      const key = storage.key(i);
      if (key?.startsWith(prefix)) keys.push(key);
    }
    for (const key of keys) storage.removeItem(key);
    return keys.length;
  }

  /** The bytes the database's records take in Web Storage (UTF-16: 2 bytes a character). */
  storageSize(): number {
    const { storage, prefix } = this.records;
    let chars = 0;
    for (let i = 0; i < storage.length; i++) {
      const key = storage.key(i);
      if (key?.startsWith(prefix)) chars += key.length + (storage.getItem(key)?.length ?? 0);
    }
    return chars * 2;
  }
}
