// A dedicated worker that runs the synchronous API suite on OPFS and posts the outcome of each
// case (e2e/sync-api.test.mjs reports them one by one).
import * as sync from "../../js/dist/web/sync.js";
import { runCases } from "../../js/dist/test/suites/check.js";
import { cases } from "../../js/dist/test/suites/sync-api.js";

postMessage(await runCases(cases, { sync, storage: "opfs", name: (base) => `sync-${base}` }));
