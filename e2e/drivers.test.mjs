// Kysely and Drizzle through web-sqlite's drivers in Chromium, on the real OPFS: the cases
// node:test runs in Node (js/test/suites/drivers.ts), here with the browser bundle and the
// packages as npm installed them (ES modules through an import map).
import { after, before } from "node:test";

import { drizzleCases, kyselyCases } from "../js/dist/test/suites/drivers.js";
import { ENGINE, reportCases, startSession } from "./harness.mjs";

const session = await startSession({ port: 8814 });
let results = [];

before(async () => {
  const page = await session.context.newPage();
  await page.goto(`${session.server.url}/e2e/pages/drivers.html`);
  await page.waitForFunction(() => window.runSuite !== undefined);
  results = await page.evaluate(() => window.runSuite());
  await page.close();
});

after(() => session.close());

reportCases(`the drivers in ${ENGINE.name} (OPFS)`, [...kyselyCases, ...drizzleCases], () => results);
