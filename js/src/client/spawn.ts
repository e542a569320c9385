/** Starts the worker that runs SQLite: a worker_threads worker in Node. */
import { WebSqliteError } from "../errors.js";
import type { SpawnWorker } from "./worker-client.js";

const isNode = typeof process !== "undefined" && typeof process.versions?.node === "string";

export function defaultSpawn(wasm?: string | URL): SpawnWorker {
  return async (handlers) => {
    if (!isNode) {
      throw new WebSqliteError(
        "UNSUPPORTED",
        "this build of web-sqlite runs its worker in Node.js only; use the synchronous bindings in a browser worker",
      );
    }
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
        worker.postMessage(message, transfer);
      },
      terminate() {
        void worker.terminate();
      },
    };
  };
}
