// The Promise API suite (js/test/suites/promise-api.ts) on a page, in the engine of this run
// (WSQ_ENGINE, e2e/harness.mjs), with the browser bundle, on the real OPFS: the same cases
// node:test runs on files in Node.
import { after, before } from "node:test";

import { cases } from "../js/dist/test/suites/promise-api.js";
import { ENGINE, reportCases, startSession, unless } from "./harness.mjs";

const session = await startSession({ port: 8797 });
const skip = unless(await session.capabilities(), "opfs");
let results;

before(async () => {
  if (skip) return;
  const page = await session.context.newPage();
  await page.goto(`${session.server.url}/e2e/pages/promise-suite.html`);
  await page.waitForFunction(() => window.runSuite !== undefined);
  results = await page.evaluate(() => window.runSuite());
  await page.close();
});

after(() => session.close());

reportCases(`the Promise API in ${ENGINE.name} (OPFS)`, cases, () => results, skip);
