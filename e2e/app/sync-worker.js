// The synchronous API in the app's own worker: a run counted in an OPFS database.
import { Database } from "web-sqlite/sync";

Database.open("worker.db", { storage: "opfs" }).then(
  (db) => {
    db.exec("CREATE TABLE IF NOT EXISTS runs(n INTEGER PRIMARY KEY)");
    db.exec("INSERT INTO runs DEFAULT VALUES");
    const runs = db.selectValues("SELECT n FROM runs ORDER BY n");
    db.close();
    postMessage({ runs });
  },
  (e) => postMessage({ error: `${e.code ?? e.name}: ${e.message}` }),
);
