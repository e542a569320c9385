// The synchronous API suite (js/test/suites/sync-api.ts) inside a dedicated worker, in the engine
// of this run (WSQ_ENGINE, e2e/harness.mjs), on the real OPFS: the same cases node:test runs on
// files in Node.
import { after, before } from "node:test";

import { cases } from "../js/dist/test/suites/sync-api.js";
import { ENGINE, reportCases, startSession, testPage, unless } from "./harness.mjs";

const session = await startSession({ port: 8791 });
const skip = unless(await session.capabilities(), "opfs");
let results;

before(async () => {
  if (skip) return;
  const page = await testPage(session.context, session.server.url);
  results = await page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const worker = new Worker("/e2e/pages/sync-worker.js", { type: "module" });
        worker.onmessage = (e) => resolve(e.data);
        worker.onerror = (e) => reject(new Error(e.message || "the suite worker failed to load"));
      }),
  );
  await page.close();
});

after(() => session.close());

reportCases(`synchronous API (${ENGINE.name} worker, OPFS)`, cases, () => results, skip);
