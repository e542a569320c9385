// A sync server in a process of its own, for tests that kill it (SIGKILL) and start it again:
//   node e2e/sync-gateway.mjs <postgres url> <port> <tables, comma-separated>
// Prints "ready" once it listens on 127.0.0.1:<port>, with cors for any origin.
import http from "node:http";

import { createSyncServer } from "../js/dist/src/server/index.js";

const [postgres, port, tables] = process.argv.slice(2);
const server = await createSyncServer({ postgres, tables: tables.split(","), cors: true });
const web = http.createServer(server.handler);
web.listen(Number(port), "127.0.0.1", () => console.log("ready"));
process.on("SIGTERM", async () => {
  web.closeAllConnections();
  web.close();
  await server.close();
  process.exit(0);
});
