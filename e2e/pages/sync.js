// Exposes the synchronous API (JsStorageDb) to the tests, once the wasm is loaded.
import * as sync from "../../js/dist/web/sync.js";

await sync.Database.ready();
window.sync = sync;
