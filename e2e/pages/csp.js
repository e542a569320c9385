// Runs under "Content-Security-Policy: script-src 'self' 'wasm-unsafe-eval'" (no eval, no
// inline scripts): the Promise API on OPFS, the worker, and the synchronous API must all work.
import { open } from "../../js/dist/web/index.js";
import { Database } from "../../js/dist/web/sync.js";

const violations = [];
document.addEventListener("securitypolicyviolation", (e) =>
  violations.push(`${e.violatedDirective}: ${e.blockedURI}`),
);

try {
  const db = await open("csp.db");
  await db.exec("CREATE TABLE IF NOT EXISTS t(v); DELETE FROM t; INSERT INTO t VALUES ('csp ok')");
  const rows = await db.query("SELECT v FROM t");
  await db.close();
  await Database.ready();
  const mem = new Database("csp-sync", { storage: "memory" });
  const sync = mem.selectValue("SELECT 6 * 7");
  mem.close();
  window.result = { rows, sync, violations };
} catch (e) {
  window.result = { error: `${e.name}: ${e.message}`, violations };
}
