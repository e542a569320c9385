// A dedicated worker that opens a database with the synchronous API and holds it until told to
// close it (e2e/many-tabs.test.mjs): what a tab using the Promise API meets meanwhile.
import { Database } from "../../js/dist/web/sync.js";

let db = null;
onmessage = async (e) => {
  try {
    if (e.data.op === "open") {
      db = await Database.open(e.data.name, { storage: e.data.storage ?? undefined });
    } else await db.closeAsync();
    postMessage({ ok: true });
  } catch (error) {
    postMessage({ ok: false, code: error.code, message: error.message });
  }
};
