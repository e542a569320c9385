// A Node device for the sync tests, in a process of its own (a test SIGKILLs it mid-upload and
// starts it again on the same file):
//   node e2e/sync-device.mjs <database file> <sync url> <name> <seed> <milliseconds of writes>
// It syncs the table todos, writes at random (the workload of e2e/sync-workload.mjs) for the
// given time, printing each write that resolved as a JSON line, then {"worked": true}; then it
// answers the lines "sync" (once synced: {"synced": true}) and "rows" ({"rows": [...]}) on stdin.
import { createInterface } from "node:readline";

import { open } from "../js/dist/src/index.js";
import { workload } from "./sync-workload.mjs";

const [file, url, name, seed, ms] = process.argv.slice(2);
const db = await open(file);
await db.exec("CREATE TABLE IF NOT EXISTS todos (id TEXT PRIMARY KEY, title TEXT, n INTEGER)");
const sync = await db.sync({ url, tables: ["todos"] });
const say = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
await workload(db, { name, seed: Number(seed), ms: Number(ms), done: say });
say({ worked: true });
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === "sync") {
    await sync.whenSynced({ timeoutMs: 120000 }).catch((e) => {
      console.error(
        `node device: ${e.message}; pending ${sync.pending}, ${sync.status}, ${sync.error?.message}`,
      );
      process.exit(1);
    });
    say({ synced: true });
  } else if (line.trim() === "rows") {
    say({ rows: await db.query("SELECT id, title, n FROM todos ORDER BY id") });
  }
}
