/**
 * Real browsers for the browser tests and benchmarks, one engine per run, chosen by WSQ_ENGINE:
 * "chromium" (the default: Debian's /usr/bin/chromium, driven by playwright-core), "firefox"
 * (Debian's firefox-esr, by puppeteer-core over WebDriver BiDi) or "webkit" (WebKitGTK's
 * MiniBrowser, by WebKitWebDriver, under Xvfb when there is no display). None downloads a
 * browser. Each engine is driven through the same small surface: context.newPage() / close();
 * page.goto(), evaluate(fn, arg), waitForFunction(fn, arg), reload(), on("pageerror"), close().
 * One fresh profile per launch unless one is given, so OPFS starts empty and a test can restart
 * the browser on the same profile (where the engine keeps it: ENGINE.can.restartKeepsStorage).
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";

import { describe, it } from "node:test";
import assert from "node:assert/strict";

import { chromium } from "playwright-core";
import puppeteer from "puppeteer-core";

export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * The engines, and what their drivers can do beyond the common surface, each true or why not:
 * hostMapping (a host name mapped to 127.0.0.1 at launch: a page that is not a secure context),
 * cdp (Chromium's DevTools protocol: crash a tab, freeze it), kill (SIGKILL the browser of a
 * profile, killBrowser), restartKeepsStorage (a browser started again on a profile finds its
 * storage), console (page.on("console") hears what a page logs, as it logs it).
 */
const ENGINES = {
  chromium: {
    name: "Chromium",
    launch: launchChromium,
    can: { hostMapping: true, cdp: true, kill: true, restartKeepsStorage: true, console: true },
    profileArg: (dir) => `user-data-dir=${dir}`,
  },
  firefox: {
    name: "Firefox",
    launch: launchFirefox,
    can: {
      hostMapping: "the harness maps host names only through Chromium's launch flags",
      cdp: "no Chromium DevTools protocol",
      kill: true,
      restartKeepsStorage: true,
      console: true,
    },
    profileArg: (dir) => `--profile ${dir}`,
  },
  webkit: {
    name: "WebKitGTK",
    launch: launchWebKit,
    can: {
      hostMapping: "the harness maps host names only through Chromium's launch flags",
      cdp: "no Chromium DevTools protocol",
      kill: "MiniBrowser under WebDriver keeps no profile to come back to",
      restartKeepsStorage: "MiniBrowser under WebDriver keeps no profile to come back to",
      console: "WebDriver classic reports no console messages",
    },
    profileArg: null,
  },
};

const engineKey = process.env.WSQ_ENGINE ?? "chromium";
if (!ENGINES[engineKey]) {
  throw new Error(`WSQ_ENGINE=${engineKey}: must be one of ${Object.keys(ENGINES).join(", ")}`);
}
/** The engine of this run. */
export const ENGINE = ENGINES[engineKey];

export function freshProfile() {
  return mkdtempSync(path.join(tmpdir(), `wsq-${engineKey}-`));
}

export function removeProfile(dir) {
  rmSync(dir, { recursive: true, force: true });
}

/** SIGKILLs the browser running on profile dir: no unload, no close, no flush (ENGINE.can.kill). */
export function killBrowser(dir) {
  execFileSync("pkill", ["-KILL", "-f", "--", ENGINE.profileArg(dir)]);
}

/** Launches the engine on a profile directory; returns its context (extraArgs: Chromium's). */
export async function launch(profile, extraArgs = []) {
  return ENGINE.launch(profile, extraArgs);
}

function launchChromium(profile, extraArgs) {
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...ARGS, ...extraArgs],
  });
}

/** playwright's waitForFunction(fn, arg) over a driver that only evaluates: polls fn(arg). */
async function poll(page, fn, arg, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await page.evaluate(fn, arg);
    if (value) return value;
    if (Date.now() > deadline)
      throw new Error(`waitForFunction: ${fn} still false after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function launchFirefox(profile) {
  const browser = await puppeteer.launch({
    browser: "firefox",
    executablePath: process.env.FIREFOX ?? "/usr/bin/firefox-esr",
    headless: true,
    userDataDir: profile,
  });
  return {
    async newPage() {
      const page = await browser.newPage();
      return {
        // (Navigation timeouts generous: a loaded machine, three engines at once.)
        goto: (url) => page.goto(url, { timeout: 120000 }),
        evaluate: (fn, arg) => page.evaluate(fn, arg),
        waitForFunction: (fn, arg) => poll(page, fn, arg),
        // Firefox may put off loading a tab in the background: the tab comes to the front first.
        reload: async () => {
          await page.bringToFront();
          return page.reload({ timeout: 120000 });
        },
        on: (event, listener) => page.on(event, listener),
        close: () => page.close(),
      };
    },
    close: () => browser.close(),
  };
}

/** A free TCP port on 127.0.0.1 for a driver to listen on. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.once("error", reject);
  });
}

/** An X display for WebKitGTK: the session's, or an Xvfb started for this process (once). */
let xvfb = null;
function display() {
  if (process.env.DISPLAY) return process.env.DISPLAY;
  // -displayfd: Xvfb picks a free display number and writes it on stdout once it is ready.
  xvfb ??= new Promise((resolve, reject) => {
    const child = spawn(
      "Xvfb",
      ["-displayfd", "1", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
      {
        stdio: ["ignore", "pipe", "ignore"],
      },
    );
    child.unref();
    process.once("exit", () => child.kill());
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      if (out.includes("\n")) resolve(`:${out.trim()}`);
    });
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`Xvfb exited (${code}) before it was ready`)));
  });
  return xvfb;
}

async function launchWebKit() {
  const port = await freePort();
  const driver = spawn("WebKitWebDriver", [`--port=${port}`], {
    env: { ...process.env, DISPLAY: await display() },
    stdio: "ignore",
  });
  const base = `http://127.0.0.1:${port}`;
  const call = async (method, url, body) => {
    const r = await fetch(base + url, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await r.json();
    if (!r.ok) throw new Error(`WebDriver ${method} ${url}: ${JSON.stringify(json.value)}`);
    return json.value;
  };
  let session;
  for (let attempt = 0; ; attempt++) {
    try {
      session = await call("POST", "/session", {
        capabilities: {
          alwaysMatch: {
            "webkitgtk:browserOptions": {
              binary:
                process.env.MINIBROWSER ?? "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser",
              // The Storage API and OPFS switched on, as in Safari (WebKitGTK ships them off);
              // an automation session has no storage, so getDirectory() then fails.
              args: ["--automation", "--features=+StorageAPI,+FileSystem,+AccessHandle"],
            },
          },
        },
      });
      break;
    } catch (e) {
      if (attempt > 100) throw e; // the driver did not come up in 10 s
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const id = session.sessionId;
  await call("POST", `/session/${id}/timeouts`, { script: 600_000 });
  const home = await call("GET", `/session/${id}/window`);
  // WebDriver classic has one current window per session, and a script holds the session until
  // it returns. So every command runs in turn, each switching to its window first, and a call
  // of page.evaluate starts the function in the page and polls for its outcome: functions run
  // in several tabs at once, as they do in the other engines.
  let queue = Promise.resolve();
  const inTurn = (fn) => {
    const run = queue.then(fn);
    queue = run.catch(() => {});
    return run;
  };
  const script = (source, args) =>
    call("POST", `/session/${id}/execute/sync`, { script: source, args });
  let calls = 0;
  return {
    async newPage() {
      const { handle } = await inTurn(() =>
        call("POST", `/session/${id}/window/new`, { type: "tab" }),
      );
      const inWindow = (fn) =>
        inTurn(async () => {
          await call("POST", `/session/${id}/window`, { handle });
          return fn();
        });
      const page = {
        goto: (url) => inWindow(() => call("POST", `/session/${id}/url`, { url })),
        async evaluate(fn, arg) {
          const key = String(++calls);
          await inWindow(() =>
            script(
              "const [arg, key] = arguments; const calls = (window.__wsqCalls ??= {});" +
                "calls[key] = { done: false };" +
                `Promise.resolve().then(() => (${fn})(arg)).then(` +
                "(value) => (calls[key] = { done: true, value })," +
                "(e) => (calls[key] = { done: true, error: `${e}\n${e?.stack ?? ''}` }));",
              [arg ?? null, key],
            ),
          );
          for (let wait = 2; ; wait = Math.min(wait * 2, 100)) {
            const out = await inWindow(() =>
              script(
                "const calls = window.__wsqCalls ?? {}; const out = calls[arguments[0]];" +
                  "if (out?.done) delete calls[arguments[0]];" +
                  "return out ?? { done: true, error: 'the page was reloaded or closed first' };",
                [key],
              ),
            );
            if (out.done) {
              if (out.error !== undefined) throw new Error(`page.evaluate: ${out.error}`);
              return out.value ?? undefined;
            }
            await new Promise((resolve) => setTimeout(resolve, wait));
          }
        },
        waitForFunction: (fn, arg) => poll(page, fn, arg),
        reload: () => inWindow(() => call("POST", `/session/${id}/refresh`, {})),
        on() {}, // WebDriver classic reports no page errors
        close: () =>
          inWindow(async () => {
            await call("DELETE", `/session/${id}/window`);
            await call("POST", `/session/${id}/window`, { handle: home });
          }),
      };
      return page;
    },
    async close() {
      await call("DELETE", `/session/${id}`).catch(() => {});
      driver.kill();
    },
  };
}

/**
 * Opens the test page and waits until the library is loaded into window.wsq; with storage, its
 * calls use that storage unless they name one (e2e/pages/test.js).
 */
export async function testPage(context, base, storage = null) {
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e));
  await page.goto(`${base}/e2e/pages/test.html${storage ? `?storage=${storage}` : ""}`);
  await page.waitForFunction(() => window.wsq !== undefined);
  page.errors = errors;
  return page;
}

/**
 * A server and a browser on a fresh profile for one test file: call in before() or at the top of
 * the file; the returned close() belongs in after().
 */
export async function startSession(serveOptions) {
  const { serve } = await import("./server.mjs");
  const server = await serve(serveOptions);
  const profile = freshProfile();
  const context = await launch(profile);
  return {
    server,
    context,
    /** What this engine's pages (pageCapabilities) and its driver (ENGINE.can) can do. */
    capabilities: async () => ({ ...ENGINE.can, ...(await pageCapabilities(context, server.url)) }),
    async close() {
      await context.close();
      await server.close();
      removeProfile(profile);
    },
  };
}

/**
 * What the engine's pages can do, checked in a page by trying it, never by the engine's name:
 * each is true, or a string saying what is missing.
 * - opfs: OPFS with sync access handles (a file created, opened for sync access in a worker).
 * - indexedDB: IndexedDB (a database opened).
 * - sharedWorker: SharedWorker (the broker of databases shared between tabs).
 * - webLocks: navigator.locks.
 * - transferableStreams: a ReadableStream transferred through postMessage.
 */
export async function pageCapabilities(context, base) {
  const page = await context.newPage();
  try {
    await page.goto(`${base}/e2e/pages/blank.html`);
    return await page.evaluate(async () => {
      const opfs = await new Promise((resolve) => {
        const source = `(async () => {
          try {
            if (!navigator.storage?.getDirectory) throw new Error("no navigator.storage.getDirectory");
            const root = await navigator.storage.getDirectory();
            const file = await root.getFileHandle("wsq-capability-probe", { create: true });
            if (!file.createSyncAccessHandle) throw new Error("no createSyncAccessHandle");
            (await file.createSyncAccessHandle()).close();
            await root.removeEntry("wsq-capability-probe");
            postMessage(true);
          } catch (e) {
            postMessage(String(e?.name ? e.name + ": " + e.message : e));
          }
        })();`;
        const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
        const worker = new Worker(url, { type: "module" });
        worker.onmessage = (e) => {
          worker.terminate();
          resolve(e.data === true ? true : `no OPFS sync access handles (${e.data})`);
        };
        worker.onerror = () => resolve("no OPFS sync access handles (the probe worker failed)");
      });
      const indexedDB = await new Promise((resolve) => {
        if (typeof window.indexedDB?.open !== "function") return resolve("no IndexedDB");
        const request = window.indexedDB.open("wsq-capability-probe");
        request.onsuccess = () => {
          request.result.close();
          resolve(true);
        };
        request.onerror = () => resolve(`no IndexedDB (${request.error?.name})`);
      });
      let transferableStreams = true;
      try {
        const stream = new ReadableStream();
        new MessageChannel().port1.postMessage(stream, [stream]);
      } catch (e) {
        transferableStreams = `ReadableStream cannot be transferred (${e?.name})`;
      }
      return {
        opfs,
        indexedDB,
        sharedWorker: typeof SharedWorker === "function" || "no SharedWorker",
        webLocks: typeof navigator.locks?.request === "function" || "no Web Locks",
        transferableStreams,
      };
    });
  } finally {
    await page.close();
  }
}

/** The persistent storages of browsers, each with the capability it needs (pageCapabilities). */
export const STORAGES = [
  { storage: "opfs", title: "OPFS", needs: "opfs" },
  { storage: "idb", title: "IndexedDB", needs: "indexedDB" },
];

/**
 * A test's skip option: false when every capability named is there, else why not (node:test
 * prints it beside the skipped test).
 */
export function unless(capabilities, ...names) {
  const missing = [
    ...new Set(names.filter((n) => capabilities[n] !== true).map((n) => capabilities[n])),
  ];
  return missing.length ? `${ENGINE.name}: ${missing.join("; ")}` : false;
}

/**
 * One test per case of a shared suite (js/test/suites/) that ran in a page or a worker;
 * results() gives what js/test/suites/check.ts's runCases returned there; skip (unless()) skips
 * them all, skipCase(name) one (a reason, or false).
 */
export function reportCases(title, cases, results, skip = false, skipCase = () => false) {
  describe(title, () => {
    for (const [name] of cases) {
      it(name, { skip: skip || skipCase(name) }, () => {
        const result = results().find((r) => r.name === name);
        assert.ok(result, "the suite ran this case");
        assert.ok(result.ok, result.error);
      });
    }
  });
}
