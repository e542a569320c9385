// `make demo`: serves the playground at http://127.0.0.1:8080 (no COOP/COEP headers needed), and
// the notes app (Kysely and live queries) at /examples/notes/, syncing its notes with a
// PostgreSQL of its own (its data under build/demo-postgres, kept between runs) through the sync
// server mounted at /sync/: open the printed link in two browser profiles and watch the notes
// cross over.
import * as path from "node:path";

import { startPostgres } from "../e2e/postgres.mjs";
import { ROOT, serve } from "../e2e/server.mjs";
import { createSyncServer } from "../js/dist/src/server/index.js";

const port = Number(process.env.PORT ?? 8080);
const postgres = await startPostgres({ dir: path.join(ROOT, "build/demo-postgres") });
const pg = (await import("pg")).default;
const sql = new pg.Client({ connectionString: postgres.url });
await sql.connect();
await sql.query(`CREATE TABLE IF NOT EXISTS notes (
  id text PRIMARY KEY, body text NOT NULL, updated_at bigint NOT NULL DEFAULT 0)`);
await sql.end();
const sync = await createSyncServer({ postgres: postgres.url, tables: ["notes"] });
const server = await serve({
  port,
  redirects: { "/": "/examples/playground/" },
  routes: { "/sync/": sync.handler },
});
console.log(`web-sqlite playground: ${server.url}/  (Ctrl+C to stop)`);
console.log(`the notes app (open it in two tabs): ${server.url}/examples/notes/`);
console.log(
  `the notes app syncing with PostgreSQL (open it in two browser profiles): ` +
    `${server.url}/examples/notes/?sync=/sync`,
);
console.log(`PostgreSQL: ${postgres.url} (psql "${postgres.url}" -c "TABLE notes")`);
const stop = async () => {
  await server.close();
  await sync.close();
  await postgres.stop();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
