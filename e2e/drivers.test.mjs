// Kysely and Drizzle through web-sqlite's drivers in Chromium, on the real OPFS: the cases
// node:test runs in Node (js/test/suites/drivers.ts), here with the browser bundle and the
// packages as npm installed them (ES modules through an import map); and Kysely over the
// synchronous API in a dedicated worker, bundled by esbuild.
import * as path from "node:path";
import { after, before } from "node:test";

import { build } from "esbuild";

import { drizzleCases, kyselyCases } from "../js/dist/test/suites/drivers.js";
import { ENGINE, reportCases, startSession } from "./harness.mjs";
import { ROOT } from "./server.mjs";

const session = await startSession({ port: 8814 });
let results = [];
let inWorker = [];

before(async () => {
  const page = await session.context.newPage();
  await page.goto(`${session.server.url}/e2e/pages/drivers.html`);
  await page.waitForFunction(() => window.runSuite !== undefined);
  results = await page.evaluate(() => window.runSuite());
  await build({
    entryPoints: [path.join(ROOT, "e2e/pages/kysely-sync-worker.js")],
    outfile: path.join(ROOT, "build/e2e-bundles/kysely-sync-worker.js"),
    bundle: true,
    format: "esm",
    logLevel: "warning",
  });
  inWorker = await page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const worker = new Worker("/build/e2e-bundles/kysely-sync-worker.js", { type: "module" });
        worker.onmessage = (e) => resolve(e.data);
        worker.onerror = (e) => reject(new Error(e.message));
      }),
  );
  await page.close();
});

after(() => session.close());

reportCases(
  `the drivers in ${ENGINE.name} (OPFS)`,
  [...kyselyCases, ...drizzleCases],
  () => results,
);
reportCases(
  `Kysely over the synchronous API in a worker of ${ENGINE.name} (OPFS)`,
  kyselyCases,
  () => inWorker,
);
