// The Promise API suite (js/test/suites/promise-api.ts) on a page in Chromium, with the browser
// bundle, on the real OPFS: the same cases node:test runs on files in Node.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { cases } from "../js/dist/test/suites/promise-api.js";
import { startSession } from "./harness.mjs";

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

describe("the Promise API in Chromium (OPFS)", () => {
  for (const [name] of cases) {
    it(name, () => {
      const result = results.find((r) => r.name === name);
      assert.ok(result, "the page ran this case");
      assert.ok(result.ok, result.error);
    });
  }
});
