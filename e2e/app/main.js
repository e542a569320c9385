// A tiny app, built by each bundler from the npm tarball (e2e/bundlers.test.mjs): the README's
// lines, a visit written and read on every load, and the synchronous API in the app's own worker.
import { open } from "web-sqlite";

async function visit() {
  const db = await open("app.db");
  await db.exec("CREATE TABLE IF NOT EXISTS visits(n INTEGER PRIMARY KEY, at TEXT)");
  await db.sql`INSERT INTO visits(at) VALUES (${new Date().toISOString()})`;
  const rows = await db.query("SELECT n FROM visits ORDER BY n");
  return { visits: rows.map((r) => r.n), shared: db.shared };
}

function inWorker() {
  const worker = new Worker(new URL("./sync-worker.js", import.meta.url), { type: "module" });
  return new Promise((resolve) => {
    worker.onmessage = (e) => resolve(e.data);
    worker.onerror = (e) => resolve({ error: `the worker failed: ${e.message || "not loaded"}` });
  });
}

const failed = (e) => ({ error: `${e.code ?? e.name}: ${e.message}` });
window.app = Promise.all([visit().catch(failed), inWorker()]).then(([page, worker]) => ({
  page,
  worker,
}));
