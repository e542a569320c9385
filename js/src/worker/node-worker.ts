/** The worker_threads entry in Node: the dispatcher over files. */
import { parentPort } from "node:worker_threads";

import { threadStores } from "../platform.js";
import { loadRuntime } from "../runtime/runtime.js";
import { Dispatcher } from "./dispatcher.js";
import { HANDLERS } from "./handlers.js";
import { type WorkerSetup, afterSetup, changesEvent, logEvent } from "./protocol.js";

const port = parentPort;
if (!port) throw new Error("node-worker.js must run in a worker thread");

/** The dispatcher, made when the setup (the first message) came. */
const start = ({ wasm, cipherWasm, module }: WorkerSetup): Dispatcher => {
  const dispatcher = new Dispatcher({
    handlers: HANDLERS,
    stores: threadStores(),
    load: (host, cipher) =>
      loadRuntime({
        wasm: cipher ? cipherWasm : (module ?? wasm),
        host,
        log: (code, message) => port.postMessage(logEvent(code, message)),
      }),
  });
  dispatcher.onFeed((changes) => port.postMessage(changesEvent(changes)));
  return dispatcher;
};

port.on(
  "message",
  afterSetup(start, async (dispatcher, message) => {
    const { response, transfer } = await dispatcher.handle(message);
    port.postMessage(response, transfer);
  }),
);
