// A dedicated worker that runs the synchronous API suite in the storage its ?storage= names
// ("opfs" or "idb"), with ?key= every database encrypted with that key (the cases of KEYLESS
// aside), and posts the outcome of each case (e2e/sync-api.test.mjs reports them one by one).
import * as sync from "../../js/dist/web/sync.js";
import { runCases } from "../../js/dist/test/suites/check.js";
import { KEYLESS, cases, keyed } from "../../js/dist/test/suites/sync-api.js";

const params = new URLSearchParams(location.search);
const storage = params.get("storage") ?? "opfs";
const key = params.get("key");
postMessage(
  await runCases(key ? cases.filter(([name]) => !KEYLESS.has(name)) : cases, {
    sync: key ? keyed(sync, key) : sync,
    storage,
    name: (base) => `${key ? "keyed" : "sync"}-${base}`,
  }),
);
