/** Starts the worker that runs SQLite: a module Web Worker in browsers, worker_threads in Node. */
import { WebSqliteError } from "../errors.js";
import { browserWorkerUrl } from "../layout.js";
import { isNode } from "../platform.js";
import type { SpawnWorker } from "./worker-client.js";

/** What the page lacks to run the worker, or null. */
function missingBrowserCapability(): string | null {
  if (typeof Worker === "undefined") {
    return "this environment has no Web Workers (open() must run on a page or in a worker that can start workers)";
  }
  return null;
}

function browserSpawn(wasm?: string | URL): SpawnWorker {
  return async (handlers, restart) => {
    const missing = missingBrowserCapability();
    if (missing) throw new WebSqliteError("UNSUPPORTED", missing);
    const url = browserWorkerUrl();
    if (wasm !== undefined) url.searchParams.set("wasm", new URL(wasm, location.href).href);
    if (restart) url.searchParams.set("restart", "1");
    const worker = new Worker(url, { type: "module", name: "web-sqlite" });
    worker.addEventListener("message", (e) => handlers.message(e.data));
    worker.addEventListener("error", (e) => {
      e.preventDefault();
      handlers.died(`worker error: ${e.message || "the worker script failed to load"}`);
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
}

function nodeSpawn(wasm?: string | URL): SpawnWorker {
  return async (handlers) => {
    const { Worker } = await import("node:worker_threads");
    const url = new URL("../worker/node-worker.js", import.meta.url);
    const worker = new Worker(url, { workerData: { wasm: wasm?.toString() } });
    let pending = 0;
    // The worker keeps the process alive only while a request is outstanding.
    worker.unref();
    worker.on("message", (data) => {
      if ((data as { event?: string }).event === undefined && --pending === 0) worker.unref();
      handlers.message(data);
    });
    worker.on("error", (e) => handlers.died(`${e.name}: ${e.message}`));
    worker.on("exit", (code) => handlers.died(`exit code ${code}`));
    return {
      postMessage(message, transfer) {
        if (pending++ === 0) worker.ref();
        worker.postMessage(message, transfer as never);
      },
      terminate() {
        void worker.terminate();
      },
    };
  };
}

export function defaultSpawn(wasm?: string | URL): SpawnWorker {
  return isNode ? nodeSpawn(wasm) : browserSpawn(wasm);
}
