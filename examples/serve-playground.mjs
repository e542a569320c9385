// `make demo`: serves the playground at http://127.0.0.1:8080 (no COOP/COEP headers needed), and
// the notes app (Kysely and live queries) at /examples/notes/.
import { serve } from "../e2e/server.mjs";

const port = Number(process.env.PORT ?? 8080);
const server = await serve({ port, redirects: { "/": "/examples/playground/" } });
console.log(`web-sqlite playground: ${server.url}/  (Ctrl+C to stop)`);
console.log(`the notes app (open it in two tabs): ${server.url}/examples/notes/`);
