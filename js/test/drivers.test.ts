// The query builders' drivers in Node on files: the shared cases (suites/drivers.ts, also run in
// Chromium by e2e/drivers.test.mjs), Kysely over the Promise API and over the synchronous API.
import * as fs from "node:fs";
import * as path from "node:path";
import { after, describe, it } from "node:test";

import * as wsq from "../src/index.js";
import { Database } from "../src/sync.js";
import { tempDir } from "./helpers.js";
import { type DriverContext, drizzleCases, kyselyCases } from "./suites/drivers.js";

const dir = tempDir();
const name = (base: string) => path.join(dir, base);
const promise: DriverContext = {
  openForKysely: (file) => wsq.open(file),
  open: (file) => wsq.open(file),
  SQLiteError: wsq.SQLiteError,
  name,
};

describe("the drivers in Node (files)", () => {
  after(() => {
    wsq.shutdown();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  for (const [title, run] of [...kyselyCases, ...drizzleCases]) {
    it(`${title} (Promise API)`, () => run(promise));
  }
  for (const [title, run] of kyselyCases) {
    it(`${title} (synchronous API)`, () =>
      run({
        ...promise,
        openForKysely: (file) => Database.open(file),
        name: (base) => name(`sync-${base}`),
      }));
  }
});
