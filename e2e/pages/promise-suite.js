// Runs the Promise API suite (js/test/suites/promise-api.ts) on this page, with the browser
// bundle, in the storage the page's ?storage= names ("opfs" or "idb"), and with ?key= every
// database encrypted with that key (the cases of KEYLESS aside); e2e/promise-api.test.mjs reports
// each case.
import * as library from "../../js/dist/web/index.js";
import { runCases } from "../../js/dist/test/suites/check.js";
import { KEYLESS, MEMORY_ONLY, cases, keyed } from "../../js/dist/test/suites/promise-api.js";
import { inStorage } from "./in-storage.js";
import { bytesAtRest } from "./bytes-at-rest.js";

const params = new URLSearchParams(location.search);
const storage = params.get("storage") ?? "opfs";
const key = params.get("key");

/** Runs the cases; with persistentOnly, not those that open only memory databases. */
window.runSuite = (persistentOnly) => {
  // The cases open databases without a storage option: here they go to the storage under test.
  const wsq = inStorage(library, storage);
  const run = cases.filter(
    ([name]) => !(persistentOnly && MEMORY_ONLY.has(name)) && !(key && KEYLESS.has(name)),
  );
  return runCases(run, {
    wsq: key ? keyed(wsq, key) : wsq,
    storage,
    name: (base) => `${key ? "keyed" : "promise"}-${base}`,
    neverAnswers: "/never-answers", // e2e/server.mjs holds it open
    bytesAtRest: bytesAtRest(storage),
  });
};
