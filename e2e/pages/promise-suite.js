// Runs the Promise API suite (js/test/suites/promise-api.ts) on this page, with the browser
// bundle, on OPFS; e2e/promise-api.test.mjs reports each case.
import * as wsq from "../../js/dist/web/index.js";
import { cases } from "../../js/dist/test/suites/promise-api.js";

window.runSuite = async () => {
  const results = [];
  for (const [name, run] of cases) {
    try {
      await run({ wsq, storage: "opfs", name: (base) => `promise-${base}` });
      results.push({ name, ok: true });
    } catch (e) {
      results.push({ name, ok: false, error: `${e?.name}: ${e?.message}\n${e?.stack ?? ""}` });
    }
  }
  return results;
};
