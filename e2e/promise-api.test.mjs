// The Promise API suite (js/test/suites/promise-api.ts) on a page, in the engine of this run
// (WSQ_ENGINE, e2e/harness.mjs), with the browser bundle, on the real OPFS and the real
// IndexedDB: the same cases node:test runs on files in Node.
import { after, before } from "node:test";

import { cases } from "../js/dist/test/suites/promise-api.js";
import { ENGINE, STORAGES, reportCases, startSession, unless } from "./harness.mjs";

const session = await startSession({ port: 8797 });
const capabilities = await session.capabilities();
const results = {};

before(async () => {
  for (const { storage, needs } of STORAGES) {
    if (unless(capabilities, needs)) continue;
    const page = await session.context.newPage();
    await page.goto(`${session.server.url}/e2e/pages/promise-suite.html?storage=${storage}`);
    await page.waitForFunction(() => window.runSuite !== undefined);
    results[storage] = await page.evaluate(() => window.runSuite());
    await page.close();
  }
});

after(() => session.close());

for (const { storage, title, needs } of STORAGES) {
  const skip = unless(capabilities, needs);
  reportCases(`the Promise API in ${ENGINE.name} (${title})`, cases, () => results[storage], skip);
}
