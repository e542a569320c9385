/**
 * Where the worker script and the wasm sit relative to the code that loads them. tsc's output
 * (js/dist/src) keeps the source tree; the browser bundles (js/dist/web, scripts/bundle.mjs) are
 * flat files, built with WSQ_BUNDLE defined as true. Both functions resolve against this module's
 * own URL, which inside a bundle is the bundle's.
 */
declare const WSQ_BUNDLE: boolean | undefined;
const bundled = typeof WSQ_BUNDLE !== "undefined" && WSQ_BUNDLE;

/** The browser worker's script. */
export function browserWorkerUrl(): URL {
  return new URL(bundled ? "./worker.js" : "./worker/browser-worker.js", import.meta.url);
}

/** The broker's script (a SharedWorker that introduces tabs to the holder of a database). */
export function brokerUrl(): URL {
  return new URL(bundled ? "./broker.js" : "./worker/broker.js", import.meta.url);
}

/** The default location of the wasm: next to the package's index.js (or the bundles). */
export function defaultWasmUrl(): URL {
  return new URL("./web-sqlite.wasm", import.meta.url);
}
