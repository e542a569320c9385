// A dedicated worker that runs the synchronous API suite on OPFS and posts the outcome of each
// case (e2e/sync-api.test.mjs reports them one by one).
import { cases } from "../../js/dist/test/suites/sync-api.js";

const results = [];
for (const [name, run] of cases) {
  try {
    await run({ storage: "opfs", name: (base) => `sync-${base}` });
    results.push({ name, ok: true });
  } catch (e) {
    results.push({ name, ok: false, error: `${e?.name}: ${e?.message}\n${e?.stack ?? ""}` });
  }
}
postMessage(results);
