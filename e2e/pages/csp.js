// Runs under "Content-Security-Policy: script-src 'self' 'wasm-unsafe-eval'" (no eval, no
// inline scripts): the Promise API on OPFS (or memory, ?storage=memory, where there is none), the
// worker, and the synchronous API must all work.
import { open } from "../../js/dist/web/index.js";
import { Database } from "../../js/dist/web/sync.js";

const violations = [];
document.addEventListener("securitypolicyviolation", (e) =>
  violations.push(`${e.violatedDirective}: ${e.blockedURI}`),
);

try {
  // OPFS by default; ?storage=memory where the engine has no OPFS.
  const storage = new URLSearchParams(location.search).get("storage") ?? undefined;
  const db = await open("csp.db", { storage });
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
