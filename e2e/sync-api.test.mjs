// The synchronous API suite (js/test/suites/sync-api.ts) inside a dedicated worker, in the engine
// of this run (WSQ_ENGINE, e2e/harness.mjs), on the real OPFS and the real IndexedDB: the same
// cases node:test runs on files in Node; again in the engine's first storage with every database
// keyed (but those of KEYLESS).
import { after, before } from "node:test";

import { KEYLESS, cases } from "../js/dist/test/suites/sync-api.js";
import { ENGINE, STORAGES, reportCases, startSession, testPage, unless } from "./harness.mjs";

const session = await startSession({ port: 8791 });
const capabilities = await session.capabilities();
const results = {};

const runs = STORAGES.filter(({ needs }) => !unless(capabilities, needs));

/** The suite in a worker of its own; query: the worker's parameters (sync-worker.js). */
async function runSuite(query) {
  const page = await testPage(session.context, session.server.url);
  const results = await page.evaluate(
    (url) =>
      new Promise((resolve, reject) => {
        const worker = new Worker(url, { type: "module" });
        worker.onmessage = (e) => resolve(e.data);
        worker.onerror = (e) => reject(new Error(e.message || "the suite worker failed to load"));
      }),
    `/e2e/pages/sync-worker.js?${query}`,
  );
  await page.close();
  return results;
}

before(async () => {
  for (const { storage } of runs) results[storage] = await runSuite(`storage=${storage}`);
  if (runs.length > 0) results.keyed = await runSuite(`storage=${runs[0].storage}&key=suite-key`);
});

after(() => session.close());

for (const { storage, title, needs } of STORAGES) {
  const skip = unless(capabilities, needs);
  reportCases(
    `synchronous API (${ENGINE.name} worker, ${title})`,
    cases,
    () => results[storage],
    skip,
  );
}

reportCases(
  `synchronous API (${ENGINE.name} worker, ${runs[0]?.title}), every database keyed`,
  cases,
  () => results.keyed,
  runs.length === 0 && "no storage of this engine",
  (name) => KEYLESS.get(name) ?? false,
);
