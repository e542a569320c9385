// The synchronous API suite (js/test/suites/sync-api.ts) inside a dedicated worker, in the engine
// of this run (WSQ_ENGINE, e2e/harness.mjs), on the real OPFS and the real IndexedDB: the same
// cases node:test runs on files in Node.
import { after, before } from "node:test";

import { cases } from "../js/dist/test/suites/sync-api.js";
import { ENGINE, STORAGES, reportCases, startSession, testPage, unless } from "./harness.mjs";

const session = await startSession({ port: 8791 });
const capabilities = await session.capabilities();
const results = {};

before(async () => {
  for (const { storage, needs } of STORAGES) {
    if (unless(capabilities, needs)) continue;
    const page = await testPage(session.context, session.server.url);
    results[storage] = await page.evaluate(
      (storage) =>
        new Promise((resolve, reject) => {
          const url = `/e2e/pages/sync-worker.js?storage=${storage}`;
          const worker = new Worker(url, { type: "module" });
          worker.onmessage = (e) => resolve(e.data);
          worker.onerror = (e) => reject(new Error(e.message || "the suite worker failed to load"));
        }),
      storage,
    );
    await page.close();
  }
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
