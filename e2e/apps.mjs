/**
 * The tiny app of e2e/app built from the npm tarball by each bundler, with the settings
 * docs/API.md gives: for the bundler tests (e2e/bundlers.test.mjs) and the benchmark of what an
 * app ships (bench/bundlers.mjs). The bundlers are the repository's pinned dev dependencies.
 */
import { execFileSync } from "node:child_process";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";

import { ROOT } from "./server.mjs";

const TEMPLATE = path.join(ROOT, "e2e/app");
export const PACKAGE = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8"));

/** The one line docs/API.md gives for bundlers that do not follow new URL(..., import.meta.url). */
const COPY_LINE = "cp node_modules/web-sqlite/js/dist/web/{worker.js,broker.js,*.wasm} dist/";

/** The one setting docs/API.md gives for Vite 7's dev server (its dependency optimizer). */
export const VITE7_DEV = { optimizeDeps: { exclude: ["web-sqlite"] } };

/** Packs the repository into work (npm pack): the tarball's path and the files it holds. */
export function pack(work) {
  const [packed] = JSON.parse(
    execFileSync("npm", ["pack", "--json", "--pack-destination", work, ROOT], { encoding: "utf8" }),
  );
  return { path: path.join(work, packed.filename), files: packed.files.map((f) => f.path) };
}

/**
 * A fresh copy of the app in work/name with the tarball installed (offline: the package has no
 * dependencies).
 */
export function newApp(work, tarball, name) {
  const app = path.join(work, name);
  cpSync(TEMPLATE, app, { recursive: true });
  writeFileSync(
    path.join(app, "package.json"),
    JSON.stringify({ name: `app-${name}`, private: true, type: "module" }),
  );
  execFileSync(
    "npm",
    ["install", "--offline", "--no-audit", "--no-fund", "--no-package-lock", tarball.path],
    { cwd: app, stdio: "pipe" },
  );
  return app;
}

/** index.html for bundlers that take a script, not a page: the built script as a module. */
function page(out, script, type = "module") {
  const html = readFileSync(path.join(TEMPLATE, "index.html"), "utf8").replace(
    '<script type="module" src="./main.js"></script>',
    `<script ${type === "module" ? 'type="module" ' : ""}src="./${script}"></script>`,
  );
  writeFileSync(path.join(out, "index.html"), html);
}

/** A production build with Vite (the module given: the current major or the last). */
export async function viteBuild(vite, app) {
  await vite.build({ root: app, configFile: false, logLevel: "error" });
}

/** A webpack build ("production", or "development": what webpack-dev-server serves). */
export async function webpackBuild(app, mode) {
  const { default: webpack } = await import("webpack");
  const compiler = webpack({
    mode,
    context: app,
    entry: "./main.js",
    output: { path: path.join(app, "dist") },
    performance: { hints: false },
  });
  await new Promise((resolve, reject) =>
    compiler.run((error, stats) => {
      if (error) reject(error);
      else if (stats.hasErrors()) reject(new Error(stats.toString("errors-only")));
      else compiler.close(resolve);
    }),
  );
  page(path.join(app, "dist"), "main.js", "classic");
}

/** Each bundler: its name, the port its test serves the build on, and the build (into app/dist). */
export const BUNDLERS = [
  { name: "vite 8", port: 8800, build: async (app) => viteBuild(await import("vite"), app) },
  { name: "vite 7", port: 8801, build: async (app) => viteBuild(await import("vite7"), app) },
  {
    name: "webpack 5",
    port: 8802,
    build: (app) => webpackBuild(app, "production"),
  },
  {
    name: "esbuild",
    port: 8803,
    async build(app) {
      const esbuild = await import("esbuild");
      await esbuild.build({
        entryPoints: [path.join(app, "main.js"), path.join(app, "sync-worker.js")],
        bundle: true,
        format: "esm",
        minify: true,
        outdir: path.join(app, "dist"),
        logLevel: "error",
      });
      execFileSync("bash", ["-c", COPY_LINE], { cwd: app });
      page(path.join(app, "dist"), "main.js");
    },
  },
  {
    name: "rollup 4",
    port: 8804,
    async build(app) {
      const { rollup } = await import("rollup");
      const { nodeResolve } = await import("@rollup/plugin-node-resolve");
      const bundle = await rollup({
        input: [path.join(app, "main.js"), path.join(app, "sync-worker.js")],
        plugins: [nodeResolve()],
        onwarn: (warning) => {
          throw new Error(`rollup: ${warning.message}`);
        },
      });
      await bundle.write({ dir: path.join(app, "dist"), format: "es" });
      await bundle.close();
      execFileSync("bash", ["-c", COPY_LINE], { cwd: app });
      page(path.join(app, "dist"), "main.js");
    },
  },
];
