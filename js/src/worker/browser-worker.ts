/** The dedicated-worker entry in browsers: the dispatcher over OPFS. */
import { OpfsStore } from "../runtime/hosts/opfs.js";
import { loadRuntime } from "../runtime/runtime.js";
import { Dispatcher } from "./dispatcher.js";
import { logEvent } from "./protocol.js";

interface WorkerScope {
  location: { search: string };
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: "message", listener: (e: MessageEvent) => void): void;
}

const scope = globalThis as unknown as WorkerScope;
const query = new URLSearchParams(scope.location.search);
const wasm = query.get("wasm") ?? undefined;
// After the page's previous worker died, its OPFS handles may take seconds to be released.
const restarted = query.has("restart");

const dispatcher = new Dispatcher({
  store: new OpfsStore({ contentionMs: restarted ? 5000 : 400 }),
  load: (host) =>
    loadRuntime({
      wasm,
      host,
      log: (code, message) => scope.postMessage(logEvent(code, message)),
    }),
});

scope.addEventListener("message", async (e) => {
  const { response, transfer } = await dispatcher.handle(e.data);
  scope.postMessage(response, transfer);
});
