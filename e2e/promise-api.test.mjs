// The Promise API suite (js/test/suites/promise-api.ts) on a page in Chromium, with the browser
// bundle, on the real OPFS: the same cases node:test runs on files in Node.
import { after, before } from "node:test";

import { cases } from "../js/dist/test/suites/promise-api.js";
import { reportCases, startSession } from "./harness.mjs";

let session;
let results;

before(async () => {
  session = await startSession({ port: 8797 });
  const page = await session.context.newPage();
  await page.goto(`${session.server.url}/e2e/pages/promise-suite.html`);
  await page.waitForFunction(() => window.runSuite !== undefined);
  results = await page.evaluate(() => window.runSuite());
  await page.close();
});

after(() => session?.close());

reportCases("the Promise API in Chromium (OPFS)", cases, () => results);
