/**
 * Real Chromium for the browser tests and benchmarks: Debian's /usr/bin/chromium driven by
 * playwright-core (which downloads nothing), one fresh profile per launch unless one is given,
 * so OPFS starts empty and a test can restart the browser on the same profile.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

import { describe, it } from "node:test";
import assert from "node:assert/strict";

import { chromium } from "playwright-core";

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

export function freshProfile() {
  return mkdtempSync(path.join(tmpdir(), "wsq-chromium-"));
}

export function removeProfile(dir) {
  rmSync(dir, { recursive: true, force: true });
}

/** Launches chromium on a profile directory; returns the persistent context. */
export async function launch(profile, extraArgs = []) {
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...ARGS, ...extraArgs],
  });
}

/** Opens the test page and waits until the library is loaded into window.wsq. */
export async function testPage(context, base) {
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e));
  await page.goto(`${base}/e2e/pages/test.html`);
  await page.waitForFunction(() => window.wsq !== undefined);
  page.errors = errors;
  return page;
}

/**
 * A server and a browser on a fresh profile for one test file: call in before(); the returned
 * close() belongs in after().
 */
export async function startSession(serveOptions) {
  const { serve } = await import("./server.mjs");
  const server = await serve(serveOptions);
  const profile = freshProfile();
  const context = await launch(profile);
  return {
    server,
    context,
    async close() {
      await context.close();
      await server.close();
      removeProfile(profile);
    },
  };
}

/**
 * One test per case of a shared suite (js/test/suites/) that ran in a page or a worker;
 * results() gives what js/test/suites/check.ts's runCases returned there.
 */
export function reportCases(title, cases, results) {
  describe(title, () => {
    for (const [name] of cases) {
      it(name, () => {
        const result = results().find((r) => r.name === name);
        assert.ok(result, "the suite ran this case");
        assert.ok(result.ok, result.error);
      });
    }
  });
}
