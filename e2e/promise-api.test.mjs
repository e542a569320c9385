// The Promise API suite (js/test/suites/promise-api.ts) on a page, in the engine of this run
// (WSQ_ENGINE, e2e/harness.mjs), with the browser bundle, on the real OPFS and the real
// IndexedDB: the same cases node:test runs on files in Node. The cases that open only memory
// databases run with the first storage the engine has.
import assert from "node:assert/strict";
import { after, before } from "node:test";

import { MEMORY_ONLY, cases } from "../js/dist/test/suites/promise-api.js";
import { ENGINE, STORAGES, reportCases, startSession, unless } from "./harness.mjs";

for (const name of MEMORY_ONLY)
  assert.ok(
    cases.some(([n]) => n === name),
    `a case: ${name}`,
  );

const session = await startSession({ port: 8797 });
const capabilities = await session.capabilities();
const runs = STORAGES.filter(({ needs }) => !unless(capabilities, needs));
const results = {};

before(async () => {
  for (const { storage } of runs) {
    const page = await session.context.newPage();
    await page.goto(`${session.server.url}/e2e/pages/promise-suite.html?storage=${storage}`);
    await page.waitForFunction(() => window.runSuite !== undefined);
    const persistentOnly = storage !== runs[0].storage;
    results[storage] = await page.evaluate((only) => window.runSuite(only), persistentOnly);
    await page.close();
  }
});

after(() => session.close());

for (const { storage, title, needs } of STORAGES) {
  const first = runs[0]?.storage === storage;
  reportCases(
    `the Promise API in ${ENGINE.name} (${title})`,
    cases,
    () => results[storage],
    unless(capabilities, needs),
    (name) =>
      !first && MEMORY_ONLY.has(name) && `opens only memory databases: run with ${runs[0].title}`,
  );
}
