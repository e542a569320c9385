/** The worker_threads entry in Node: the dispatcher over files. */
import { parentPort, workerData } from "node:worker_threads";

import { NodeStore } from "../runtime/hosts/node-fs.js";
import { loadRuntime } from "../runtime/runtime.js";
import { Dispatcher } from "./dispatcher.js";
import { PROTOCOL_VERSION, type WorkerEvent } from "./protocol.js";

const port = parentPort;
if (!port) throw new Error("node-worker.js must run in a worker thread");
const { wasm } = (workerData ?? {}) as { wasm?: string };

const dispatcher = new Dispatcher({
  store: new NodeStore(),
  load: (host) =>
    loadRuntime({
      wasm,
      host,
      log: (code, message) => {
        const event: WorkerEvent = { v: PROTOCOL_VERSION, event: "log", code, message };
        port.postMessage(event);
      },
    }),
});

port.on("message", async (message: unknown) => {
  const { response, transfer } = await dispatcher.handle(message);
  port.postMessage(response, transfer);
});
