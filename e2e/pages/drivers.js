// Runs the drivers suite (js/test/suites/drivers.ts: Kysely and Drizzle over the Promise API) on
// this page, with the browser bundle, in the page's default storage; e2e/drivers.test.mjs
// reports each case.
import * as library from "../../js/dist/web/index.js";
import { runCases } from "../../js/dist/test/suites/check.js";
import { drizzleCases, kyselyCases } from "../../js/dist/test/suites/drivers.js";

window.runSuite = () =>
  runCases([...kyselyCases, ...drizzleCases], {
    openForKysely: (name) => library.open(name),
    open: (name) => library.open(name),
    SQLiteError: library.SQLiteError,
    name: (base) => `drivers-${base}`,
  });
