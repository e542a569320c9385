// The playground of `make demo`, loaded in Chromium: it runs a query and shows the rows.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import * as path from "node:path";
import { after, before, it } from "node:test";

import { startSession } from "./harness.mjs";
import { ROOT } from "./server.mjs";

let server;
let context;
let session;

before(async () => {
  session = await startSession({ port: 8788, redirects: { "/": "/examples/playground/" } });
  ({ server, context } = session);
});

after(() => session?.close());

it("runs a query in the playground, lists the database, and keeps a screenshot", async () => {
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e));
  await page.goto(`${server.url}/`);
  await page.waitForFunction(() =>
    document.getElementById("status").textContent.includes("SQLite"),
  );
  await page.fill("#sql", "SELECT 6 * 7 AS answer, 'web' || '-sqlite' AS name, NULL AS empty");
  await page.click("#run");
  await page.waitForSelector("#results table");
  assert.deepEqual(await page.$$eval("#results th", (ths) => ths.map((t) => t.textContent)), [
    "answer",
    "name",
    "empty",
  ]);
  assert.deepEqual(await page.$$eval("#results td", (tds) => tds.map((t) => t.textContent)), [
    "42",
    "web-sqlite",
    "NULL",
  ]);
  assert.match(await page.textContent("#timings"), /ms, 1 rows/);
  // A bad query shows SQLite's error and the page keeps working.
  await page.fill("#sql", "SELEC 1");
  await page.click("#run");
  await page.waitForFunction(() => document.getElementById("error").textContent !== "");
  assert.match(await page.textContent("#error"), /SQLITE_ERROR/);
  await page.fill("#sql", "CREATE TABLE IF NOT EXISTS t(x); SELECT count(*) AS n FROM t");
  await page.click("#run");
  await page.waitForFunction(() => document.querySelector("#results th")?.textContent === "n");
  assert.match(await page.textContent("#databases"), /playground\.db/);
  assert.match(await page.textContent("#stats"), /syncs/);
  await page.click("#self-test");
  await page.waitForFunction(() => document.querySelectorAll("#self-test-report li").length === 11);
  assert.doesNotMatch(await page.textContent("#self-test-report"), /FAILED/);
  const dir = path.join(ROOT, "artifacts");
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, "playground.png"), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});
