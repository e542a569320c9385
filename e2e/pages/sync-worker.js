// A dedicated worker that runs the synchronous API suite in the storage its ?storage= names
// ("opfs" or "idb") and posts the outcome of each case (e2e/sync-api.test.mjs reports them one by
// one).
import * as sync from "../../js/dist/web/sync.js";
import { runCases } from "../../js/dist/test/suites/check.js";
import { cases } from "../../js/dist/test/suites/sync-api.js";

const storage = new URLSearchParams(location.search).get("storage") ?? "opfs";
postMessage(await runCases(cases, { sync, storage, name: (base) => `sync-${base}` }));
