/**
 * The browser side of platform.ts, which it replaces in the browser bundles (js/dist/web). The
 * worker, the broker and the wasm are named here literally, relative to this module, as bundlers
 * (Vite, webpack) require to find them and emit them with an app; in the package they sit beside
 * the bundles, where a page without a bundler (or esbuild's and Rollup's output, beside which
 * they are copied) finds them.
 */
import type { SpawnWorker } from "./worker/protocol.js";
import { LOADING_DOCS, WebSqliteError, movedByBundler } from "./errors.js";
import { IdbStore } from "./runtime/hosts/idb.js";
import { OpfsStore, missingOpfsCapability } from "./runtime/hosts/opfs.js";
import { type StoreMakers, type Stores, storesFrom } from "./runtime/stores.js";

export const isNode: boolean = false;

/** Where a relative location of the wasm starts: the page (or the worker's script). */
export function baseUrl(): string {
  return location.href;
}

/** The package's wasm, beside the bundles. */
export function defaultWasmUrl(): URL {
  return new URL("./web-sqlite.wasm", import.meta.url);
}

/** The package's encryption build, beside the bundles; loaded only for a database with a key. */
export function defaultCipherWasmUrl(): URL {
  return new URL("./web-sqlite-cipher.wasm", import.meta.url);
}

/**
 * Compiles the wasm on the page while its worker starts, so that the two overlap (docs/
 * PERFORMANCE.md, "Cold start"); null if that fails: the worker then loads the wasm from its URL
 * and says what is wrong.
 */
export function compileWasm(url: string): Promise<WebAssembly.Module | null> {
  return Promise.resolve(url)
    .then((u) => WebAssembly.compileStreaming(fetch(u)))
    .catch(() => null);
}

/** A browser cannot read a file: URL. */
export function readLocalFile(url: URL): Promise<Uint8Array> {
  return Promise.reject(
    new Error(`${url} is a local file, which a page cannot read: serve the wasm over http(s)`),
  );
}

/** What a script that failed to load says: nothing (an Event, or an ErrorEvent without message). */
function failedToLoad(e: Event): boolean {
  return !(e instanceof ErrorEvent) || !e.message;
}

/** Starts the worker that runs SQLite: a module Web Worker. */
export const spawnWorker: SpawnWorker = async (handlers) => {
  if (typeof Worker === "undefined") {
    throw new WebSqliteError(
      "UNSUPPORTED",
      "this environment has no Web Workers (open() must run on a page or in a worker that can " +
        "start workers)",
    );
  }
  const worker = new Worker(new URL("./worker.js", import.meta.url), {
    type: "module",
    name: "web-sqlite",
  });
  worker.addEventListener("message", (e) => handlers.message(e.data));
  worker.addEventListener("error", (e) => {
    e.preventDefault();
    if (failedToLoad(e)) {
      const why =
        movedByBundler(defaultWasmUrl().href) ??
        "web-sqlite's worker.js must be served beside its index.js, or emitted by the bundler " +
          "that built the app";
      handlers.died(`its script did not load: ${why} ${LOADING_DOCS}`, "LOAD_FAILED");
    } else {
      handlers.died(`worker error: ${(e as ErrorEvent).message}`);
    }
  });
  worker.addEventListener("messageerror", () => handlers.died("a message could not be decoded"));
  return {
    postMessage(message, transfer) {
      worker.postMessage(message, transfer);
    },
    terminate() {
      worker.terminate();
    },
  };
};

/** Starts (or connects to) the broker that introduces tabs to the holder of a database. */
export function startBroker(): SharedWorker {
  return new SharedWorker(new URL("./broker.js", import.meta.url), {
    type: "module",
    name: "web-sqlite-broker",
  });
}

function inDedicatedWorker(): boolean {
  const g = globalThis as { DedicatedWorkerGlobalScope?: unknown };
  return typeof g.DedicatedWorkerGlobalScope !== "undefined";
}

/**
 * How each storage of browsers is made, and where: OPFS in a dedicated worker, where sync access
 * handles exist; IndexedDB wherever there is one. Databases opened without a storage option go
 * to OPFS where it can open files synchronously, else to IndexedDB; on a page, only where asked
 * for ("idb").
 */
const STORES: StoreMakers<"browser"> = {
  opfs: {
    missing: () =>
      inDedicatedWorker()
        ? missingOpfsCapability()
        : "the synchronous API keeps databases in OPFS, which only a dedicated worker can open " +
          'synchronously, and this is not one (on a page: { storage: "idb" } for IndexedDB, the ' +
          "Promise API, or JsStorageDb)",
    make: (options) => new OpfsStore(options),
  },
  idb: {
    missing: () => (typeof indexedDB === "undefined" ? "there is no IndexedDB here" : null),
    make: (options) => new IdbStore(options),
    byDefault: inDedicatedWorker,
  },
};

/** The stores of this thread. */
export function threadStores(options: { contentionMs?: number } = {}): Stores {
  return storesFrom(STORES, options);
}

/** Both builds export the same (a type error here says which one differs). */
type Same<T extends typeof import("./platform.js")> = T;
type _Checked = Same<typeof import("./platform.browser.js")>;
