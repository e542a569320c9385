// Works as shipped in every bundler: the package as `npm pack` makes it, installed into a tiny app
// (e2e/app: the README's lines, and the synchronous API in the app's own worker) in a temporary
// directory, built for production by Vite (this major and the last), webpack, esbuild and Rollup
// with the settings docs/API.md gives, served by a plain static server and driven in Chromium:
// open, write, read, a second tab, reload, data persisted. Vite's dev server too. The bundlers
// are the repository's pinned dev dependencies: nothing is downloaded here.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

import {
  BUNDLERS,
  PACKAGE,
  VITE7_DEV,
  newApp as newAppIn,
  pack,
  viteBuild,
  webpackBuild,
} from "./apps.mjs";
import { freshProfile, launch, removeProfile } from "./harness.mjs";
import { ROOT, serve } from "./server.mjs";

let work;
let tarball;
let context;
let profile;

before(async () => {
  work = mkdtempSync(path.join(tmpdir(), "wsq-bundlers-"));
  tarball = pack(work);
  profile = freshProfile();
  context = await launch(profile);
});

after(async () => {
  await context?.close();
  if (profile) removeProfile(profile);
  if (work) rmSync(work, { recursive: true, force: true });
});

/** A fresh copy of the app with the tarball installed. */
const newApp = (name) => newAppIn(work, tarball, name);

/** What the app's page says once its work is done. */
async function appResult(tab) {
  return tab.evaluate(() => window.app);
}

/**
 * The app served at url, used as a user would: a first visit, a second tab while the first is
 * open (its database reached through the first tab's worker), a reload; each visit persisted.
 */
async function useApp(url) {
  const first = await context.newPage();
  const errors = [];
  first.on("pageerror", (e) => errors.push(e.message));
  await first.goto(url);
  assert.deepEqual(await appResult(first), {
    page: { visits: [1], shared: true },
    worker: { runs: [1] },
  });
  const second = await context.newPage();
  await second.goto(url);
  assert.deepEqual(await appResult(second), {
    page: { visits: [1, 2], shared: true },
    worker: { runs: [1, 2] },
  });
  await second.close();
  await first.reload();
  assert.deepEqual(await appResult(first), {
    page: { visits: [1, 2, 3], shared: true },
    worker: { runs: [1, 2, 3] },
  });
  await first.close();
  assert.deepEqual(errors, []);
}

describe("production builds, served as static files", () => {
  for (const bundler of BUNDLERS) {
    it(`${bundler.name}: open, write, read, a second tab, reload; the sync API in a worker`, async () => {
      const app = newApp(bundler.name.replace(/\W/g, "-"));
      await bundler.build(app);
      const server = await serve({ port: bundler.port, root: path.join(app, "dist") });
      try {
        await useApp(server.url);
      } finally {
        await server.close();
      }
    });
  }
});

describe("Vite's dev server", () => {
  for (const [name, module, port, config] of [
    ["vite 8", "vite", 8805, {}],
    ["vite 7", "vite7", 8806, VITE7_DEV],
  ]) {
    it(`${name}: the same app, served by \`vite\``, async () => {
      const vite = await import(module);
      const app = newApp(`${name.replace(/\W/g, "-")}-dev`);
      const server = await vite.createServer({
        root: app,
        configFile: false,
        logLevel: "error",
        server: { host: "127.0.0.1", port, strictPort: true },
        ...config,
      });
      await server.listen();
      try {
        await useApp(`http://127.0.0.1:${port}/`);
      } finally {
        await server.close();
      }
    });
  }
});
describe("a development build", () => {
  it("webpack 5 (mode development: what webpack-dev-server serves)", async () => {
    const app = newApp("webpack-development");
    await webpackBuild(app, "development");
    const server = await serve({ port: 8811, root: path.join(app, "dist") });
    try {
      await useApp(server.url);
    } finally {
      await server.close();
    }
  });
});

describe("Vite 7's dev server without the setting", () => {
  it("says which setting to add, for the worker and for the wasm", async () => {
    const vite = await import("vite7");
    const app = newApp("vite-7-dev-unset");
    const server = await vite.createServer({
      root: app,
      configFile: false,
      logLevel: "silent",
      server: { host: "127.0.0.1", port: 8810, strictPort: true },
    });
    await server.listen();
    try {
      const tab = await context.newPage();
      await tab.goto("http://127.0.0.1:8810/");
      const { page, worker } = await appResult(tab);
      await tab.close();
      const setting = 'add optimizeDeps: { exclude: ["web-sqlite"] } to vite.config.js';
      assert.match(page.error, /^LOAD_FAILED: web-sqlite's worker did not start/);
      assert.ok(page.error.includes(setting), page.error);
      assert.match(worker.error, /^LOAD_FAILED: .*\/node_modules\/\.vite\/deps\/web-sqlite\.wasm/);
      assert.ok(worker.error.includes(setting), worker.error);
    } finally {
      await server.close();
    }
  });
});

/** The wasm an app loads first, as Vite names it (web-sqlite-cipher-*.wasm is the other). */
const PLAIN_WASM = /^web-sqlite-(?!cipher-).*\.wasm$/;

describe("a deployment that lacks a file says which, and what came back", () => {
  /** The Vite 8 build of the app without the files named, served as given. */
  async function deployedWithout(pattern, port, serveOptions) {
    const app = newApp(`missing-${port}`);
    await viteBuild(await import("vite"), app);
    const assets = path.join(app, "dist/assets");
    const gone = readdirSync(assets).filter((f) => pattern.test(f));
    assert.equal(gone.length, 1, `the build emitted one file like ${pattern}`);
    rmSync(path.join(assets, gone[0]));
    const server = await serve({ port, root: path.join(app, "dist"), ...serveOptions });
    try {
      const tab = await context.newPage();
      await tab.goto(server.url);
      const result = await appResult(tab);
      await tab.close();
      return { result, url: `${server.url}/assets/${gone[0]}` };
    } finally {
      await server.close();
    }
  }

  it("the wasm, on a host that answers every path with the app's page", async () => {
    const { result, url } = await deployedWithout(PLAIN_WASM, 8807, { fallback: true });
    const said =
      `LOAD_FAILED: web-sqlite failed to load at stage 'fetch': ${url} is not the wasm: got ` +
      `text/html; charset=utf-8, starting "<!doctype html> <html> ": the server answered with a ` +
      `page, not the wasm. Is web-sqlite.wasm deployed there?`;
    assert.ok(result.page.error.startsWith(said), result.page.error);
    assert.ok(result.worker.error.startsWith(said), result.worker.error);
  });

  it("the wasm, on a host that answers 404", async () => {
    const { result, url } = await deployedWithout(PLAIN_WASM, 8808);
    const said =
      `LOAD_FAILED: web-sqlite failed to load at stage 'fetch': ${url} answered HTTP 404 Not ` +
      `Found. Is web-sqlite.wasm deployed there?`;
    assert.ok(result.page.error.startsWith(said), result.page.error);
  });

  it("the worker", async () => {
    const { result } = await deployedWithout(/^worker-.*\.js$/, 8809);
    assert.match(
      result.page.error,
      /^LOAD_FAILED: web-sqlite's worker did not start: its script did not load: web-sqlite's worker\.js must be served beside its index\.js, or emitted by the bundler/,
    );
    assert.deepEqual(result.worker, { runs: [1] }, "the sync API needs no worker of the package");
  });
});

/** Modules of js/src that only the browser bundles use: Node's build leaves them out. */
const BROWSER_ONLY = ["platform.browser", "worker/browser-worker", "worker/broker"];

describe("the npm package", () => {
  let installed;
  before(() => {
    installed = path.join(newApp("package"), "node_modules/web-sqlite");
  });

  it("holds both builds, the two wasms, the types, the docs, README and LICENSE, and nothing else", () => {
    const expected = ["package.json", "README.md", "LICENSE", "js/dist/web/web-sqlite.wasm"];
    expected.push("js/dist/web/web-sqlite-cipher.wasm");
    for (const doc of readdirSync(path.join(ROOT, "docs"))) expected.push(`docs/${doc}`);
    for (const bundle of ["index", "sync", "worker", "broker"]) {
      expected.push(`js/dist/web/${bundle}.js`, `js/dist/web/${bundle}.js.map`);
    }
    const src = path.join(ROOT, "js/src");
    for (const file of readdirSync(src, { recursive: true })) {
      const module = file.replace(/\.ts$/, "");
      if (module === file || BROWSER_ONLY.includes(module)) continue;
      for (const ext of [".js", ".d.ts"]) expected.push(`js/dist/src/${module}${ext}`);
    }
    assert.deepEqual([...tarball.files].sort(), expected.sort());
  });

  it("its source maps resolve, with their sources", () => {
    // The minified bundles have maps; Node's modules are tsc's readable output, without.
    const maps = tarball.files.filter((f) => f.endsWith(".map"));
    assert.equal(maps.length, 4);
    for (const map of maps) {
      const code = readFileSync(path.join(installed, map.replace(/\.map$/, "")), "utf8");
      assert.ok(code.trimEnd().endsWith(`//# sourceMappingURL=${path.basename(map)}`), map);
      const { sources, sourcesContent } = JSON.parse(readFileSync(path.join(installed, map)));
      assert.ok(sources.length > 0, map);
      assert.equal(sourcesContent?.length, sources.length, `${map} carries its sources`);
      assert.ok(
        sourcesContent.every((s) => typeof s === "string" && s.length > 0),
        map,
      );
    }
  });

  it("every export names a file it holds, with types for every module", () => {
    const targets = (entry) =>
      typeof entry === "string" ? [entry] : Object.values(entry).flatMap(targets);
    for (const [subpath, entry] of Object.entries(PACKAGE.exports)) {
      for (const target of targets(entry)) {
        assert.ok(tarball.files.includes(target.replace(/^\.\//, "")), `${subpath}: ${target}`);
      }
      const js = targets(entry).some((t) => t.endsWith(".js"));
      assert.equal(typeof entry === "object" && "types" in entry, js, `${subpath} has types`);
    }
  });

  it("web-sqlite/wasm names the wasm: for import.meta.resolve in Node, and ?url in Vite", async () => {
    const wasm = readFileSync(path.join(installed, "js/dist/web/web-sqlite.wasm"));
    const app = newApp("wasm-url");
    const resolved = execFileSync(
      process.execPath,
      ["--input-type=module", "-e", 'console.log(import.meta.resolve("web-sqlite/wasm"))'],
      { cwd: app, encoding: "utf8" },
    );
    assert.ok(readFileSync(fileURLToPath(resolved.trim())).equals(wasm));
    writeFileSync(
      path.join(app, "main.js"),
      'import wasm from "web-sqlite/wasm?url";\ndocument.title = wasm;\n',
    );
    await viteBuild(await import("vite"), app);
    const assets = path.join(app, "dist/assets");
    const [emitted] = readdirSync(assets).filter((f) => f.endsWith(".wasm"));
    assert.ok(readFileSync(path.join(assets, emitted)).equals(wasm));
    const [script] = readdirSync(assets).filter((f) => f.endsWith(".js"));
    assert.ok(readFileSync(path.join(assets, script), "utf8").includes(`/assets/${emitted}`));
  });

  for (const resolution of ["bundler", "node16"]) {
    it(`its types serve a TypeScript app (moduleResolution ${resolution}, no Node types)`, () => {
      const app = path.dirname(path.dirname(installed));
      const config = {
        compilerOptions: {
          noEmit: true,
          strict: true,
          target: "es2022",
          module: resolution === "bundler" ? "esnext" : "node16",
          moduleResolution: resolution,
          lib: ["es2022", "dom"],
          types: [],
        },
        files: ["types.ts"],
      };
      writeFileSync(path.join(app, "tsconfig.json"), JSON.stringify(config));
      execFileSync(path.join(ROOT, "node_modules/.bin/tsc"), ["-p", app], { stdio: "pipe" });
    });
  }

  it("README's links work on the registry's page (absolute, to files the package holds)", () => {
    const readme = readFileSync(path.join(installed, "README.md"), "utf8");
    const links = [...readme.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]);
    assert.ok(links.length > 0);
    const own = `https://unpkg.com/${PACKAGE.name}@${PACKAGE.version}/`;
    for (const link of links) {
      assert.match(link, /^https:\/\//, `${link} is absolute`);
      if (link.startsWith(own)) {
        assert.ok(tarball.files.includes(link.slice(own.length).split("#")[0]), link);
      }
    }
  });
});
