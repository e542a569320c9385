// The browser bundles: js/dist/web/{index,sync,worker,broker}.js, minified ES modules, with the wasm
// beside them. A page loads index.js (the Promise API), which starts worker.js; or sync.js (the
// synchronous API in a worker, JsStorageDb on the page). Node uses tsc's output (js/dist/src).
//
//   node scripts/bundle.mjs   (make js runs it)
import { build } from "esbuild";
import { copyFileSync, mkdirSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const out = path.join(root, "js/dist/web");
mkdirSync(out, { recursive: true });

// Node's modules and the Node file store are reached only behind a runtime check for Node: in the
// browser bundles they are modules that throw, so no bundler or browser ever resolves "node:*",
// and Node code that loaded a browser bundle (a "browser" export condition) says so.
const NODE_ONLY =
  "web-sqlite: this is the browser build (js/dist/web), which cannot reach Node's modules; " +
  "in Node, import web-sqlite from js/dist/src (without the browser export condition)";
const nodeOnly = {
  name: "node-only",
  setup(b) {
    b.onResolve({ filter: /^node:|hosts\/node-fs\.js$/ }, (args) => ({
      path: args.path,
      namespace: "node-only",
    }));
    b.onLoad({ filter: /.*/, namespace: "node-only" }, () => ({
      contents: `throw new Error(${JSON.stringify(NODE_ONLY)});`,
    }));
  },
};

await build({
  entryPoints: {
    index: path.join(root, "js/src/index.ts"),
    sync: path.join(root, "js/src/sync.ts"),
    worker: path.join(root, "js/src/worker/browser-worker.ts"),
    broker: path.join(root, "js/src/worker/broker.ts"),
  },
  outdir: out,
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  minify: true,
  sourcemap: true,
  plugins: [nodeOnly],
  define: { WSQ_BUNDLE: "true" },
  logLevel: "warning",
});
copyFileSync(path.join(root, "js/dist/src/web-sqlite.wasm"), path.join(out, "web-sqlite.wasm"));
