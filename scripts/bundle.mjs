// The browser bundles: js/dist/web/{index,sync,worker,broker}.js, minified ES modules, beside the
// wasm (make js puts it there; Node's build finds it there too). A page loads index.js (the
// Promise API), which starts worker.js and broker.js; or sync.js (the synchronous API in a
// worker, JsStorageDb on the page). Node uses tsc's output (js/dist/src).
//
//   node scripts/bundle.mjs   (make js runs it)
import { build } from "esbuild";
import { mkdirSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const out = path.join(root, "js/dist/web");

// platform.ts is Node's; the bundles take platform.browser.ts in its place. A Node module that
// any other file would still bring in is an error: no bundler or browser must ever see one.
const browserPlatform = {
  name: "browser-platform",
  setup(b) {
    b.onResolve({ filter: /(^|\/)platform\.js$/ }, (args) => ({
      path: path.resolve(args.resolveDir, args.path.replace(/\.js$/, ".browser.ts")),
    }));
    b.onResolve({ filter: /^node:|\/node-fs\.js$|\/node-worker\.js$/ }, (args) => ({
      errors: [{ text: `${args.path}: the browser build must not reach Node's modules` }],
    }));
  },
};

/** The build of the bundles (bench/pg-sync.mjs builds it again, in memory, to weigh parts). */
export const options = {
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
  plugins: [browserPlatform],
  logLevel: "warning",
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  mkdirSync(out, { recursive: true });
  await build(options);
}
