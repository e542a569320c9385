// A dedicated worker that runs the Kysely cases of the drivers suite over the synchronous API
// (web-sqlite/sync) on OPFS and posts their outcomes. A worker has no import map: e2e/drivers.test.mjs
// bundles this file with esbuild (Kysely from node_modules), as an app's bundler would.
import * as sync from "../../js/dist/web/sync.js";
import { runCases } from "../../js/dist/test/suites/check.js";
import { kyselyCases } from "../../js/dist/test/suites/drivers.js";

const wasm = new URL("/js/dist/web/web-sqlite.wasm", location.href).href;
postMessage(
  await runCases(kyselyCases, {
    openForKysely: (name) => sync.Database.open(name, { wasm }),
    SQLiteError: sync.SQLiteError,
    name: (base) => `sync-${base}`,
  }),
);
