/**
 * What differs between Node and browsers, chosen when the package is built. This file is Node's
 * (tsc's output, js/dist/src, which Node loads); the browser bundles (js/dist/web) are built with
 * platform.browser.ts in its place (scripts/bundle.mjs). So the browser build references no Node
 * module, and it says `new Worker(new URL("./worker.js", import.meta.url), ...)` literally, which
 * is what bundlers look for to emit the worker and the wasm with an app.
 */
import { readFile } from "node:fs/promises";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";

import type { SpawnWorker } from "./worker/protocol.js";
import { NodeStore } from "./runtime/hosts/node-fs.js";
import { type StoreMakers, type Stores, storesFrom } from "./runtime/stores.js";

export const isNode: boolean = true;

/** Where a relative location of the wasm starts: the working directory. */
export function baseUrl(): string {
  return pathToFileURL(`${process.cwd()}/`).href;
}

/** The package's wasm (js/dist/web/web-sqlite.wasm: one copy, for both builds). */
export function defaultWasmUrl(): URL {
  return new URL("../web/web-sqlite.wasm", import.meta.url);
}

/** The package's encryption build (js/dist/web/web-sqlite-cipher.wasm), loaded for keys alone. */
export function defaultCipherWasmUrl(): URL {
  return new URL("../web/web-sqlite-cipher.wasm", import.meta.url);
}

/** The bytes of a file: URL. */
export function readLocalFile(url: URL): Promise<Uint8Array> {
  return readFile(url);
}

/** Starts the worker that runs SQLite, in a worker thread. */
export const spawnWorker: SpawnWorker = async (handlers) => {
  const worker = new Worker(new URL("./worker/node-worker.js", import.meta.url));
  let pending = 0;
  // The worker keeps the process alive only while a request is outstanding (a request has an
  // id and gets an answer; the setup has neither).
  worker.unref();
  worker.on("message", (data) => {
    if ((data as { event?: string }).event === undefined && --pending === 0) worker.unref();
    handlers.message(data);
  });
  worker.on("error", (e) => handlers.died(`${e.name}: ${e.message}`));
  worker.on("exit", (code) => handlers.died(`exit code ${code}`));
  return {
    postMessage(message, transfer) {
      if ((message as { id?: number }).id !== undefined && pending++ === 0) worker.ref();
      worker.postMessage(message, transfer as never);
    },
    terminate() {
      void worker.terminate();
    },
  };
};

/** Node's worker reads the wasm from disk itself. */
export function compileWasm(_url: string): Promise<WebAssembly.Module | null> {
  return Promise.resolve(null);
}

/** Node has no tabs to share a database with (the Promise API never asks). */
export function startBroker(): SharedWorker {
  throw new Error("there is no SharedWorker in Node");
}

/** How each storage of Node is made: databases are files. */
const STORES: StoreMakers<"node"> = {
  file: { missing: () => null, make: () => new NodeStore() },
};

/** The stores of this thread. */
export function threadStores(options: { contentionMs?: number } = {}): Stores {
  return storesFrom(STORES, options);
}
