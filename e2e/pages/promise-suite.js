// Runs the Promise API suite (js/test/suites/promise-api.ts) on this page, with the browser
// bundle, in the storage the page's ?storage= names ("opfs" or "idb"); e2e/promise-api.test.mjs
// reports each case.
import * as library from "../../js/dist/web/index.js";
import { runCases } from "../../js/dist/test/suites/check.js";
import { MEMORY_ONLY, cases } from "../../js/dist/test/suites/promise-api.js";
import { inStorage } from "./in-storage.js";
import { bytesAtRest } from "./bytes-at-rest.js";

const storage = new URLSearchParams(location.search).get("storage") ?? "opfs";

/** Runs the cases; with persistentOnly, not those that open only memory databases. */
window.runSuite = (persistentOnly) =>
  runCases(persistentOnly ? cases.filter(([name]) => !MEMORY_ONLY.has(name)) : cases, {
    // The cases open databases without a storage option: here they go to the storage under test.
    wsq: inStorage(library, storage),
    storage,
    name: (base) => `promise-${base}`,
    neverAnswers: "/never-answers", // e2e/server.mjs holds it open
    bytesAtRest: bytesAtRest(storage),
  });
