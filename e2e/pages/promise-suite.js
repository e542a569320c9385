// Runs the Promise API suite (js/test/suites/promise-api.ts) on this page, with the browser
// bundle, on OPFS; e2e/promise-api.test.mjs reports each case.
import * as wsq from "../../js/dist/web/index.js";
import { runCases } from "../../js/dist/test/suites/check.js";
import { cases } from "../../js/dist/test/suites/promise-api.js";

window.runSuite = () =>
  runCases(cases, {
    wsq,
    storage: "opfs",
    name: (base) => `promise-${base}`,
    neverAnswers: "/never-answers", // e2e/server.mjs holds it open
  });
