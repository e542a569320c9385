// What a TypeScript app writes against the package's types (e2e/bundlers.test.mjs checks it with
// moduleResolution "bundler" and "node16", and without Node's types).
import { type Database, type Row, WebSqliteError, open } from "web-sqlite";
import { Database as SyncDatabase, JsStorageDb } from "web-sqlite/sync";

export async function use(): Promise<Row[]> {
  const db: Database = await open("app.db", { durability: "full" });
  const stop = db.onChange((tables) => tables);
  stop();
  const sync = await SyncDatabase.open("x.db", { storage: "memory" });
  sync.close();
  new JsStorageDb("local").close();
  return db.query("SELECT 1").catch((e: unknown) => {
    if (e instanceof WebSqliteError && e.code === "TIMEOUT") return [];
    throw e;
  });
}
