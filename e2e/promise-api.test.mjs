// The Promise API suite (js/test/suites/promise-api.ts) on a page, in the engine of this run
// (WSQ_ENGINE, e2e/harness.mjs), with the browser bundle, on the real OPFS and the real
// IndexedDB: the same cases node:test runs on files in Node. The cases that open only memory
// databases run with the first storage the engine has; all of them again there with every
// database keyed (but those of KEYLESS).
import assert from "node:assert/strict";
import { after, before } from "node:test";

import { KEYLESS, MEMORY_ONLY, cases } from "../js/dist/test/suites/promise-api.js";
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

/** The suite on a page of its own; query: the page's parameters (promise-suite.js). */
async function runSuite(query, persistentOnly) {
  const page = await session.context.newPage();
  await page.goto(`${session.server.url}/e2e/pages/promise-suite.html?${query}`);
  await page.waitForFunction(() => window.runSuite !== undefined);
  const results = await page.evaluate((only) => window.runSuite(only), persistentOnly);
  await page.close();
  return results;
}

before(async () => {
  for (const { storage } of runs) {
    results[storage] = await runSuite(`storage=${storage}`, storage !== runs[0].storage);
  }
  if (runs.length > 0) {
    results.keyed = await runSuite(`storage=${runs[0].storage}&key=suite-key`, false);
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

reportCases(
  `the Promise API in ${ENGINE.name} (${runs[0]?.title}), every database keyed`,
  cases,
  () => results.keyed,
  runs.length === 0 && "no storage of this engine",
  (name) => KEYLESS.get(name) ?? false,
);
