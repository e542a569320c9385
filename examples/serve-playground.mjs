// `make demo`: serves the playground at http://127.0.0.1:8080 (no COOP/COEP headers needed).
import { serve } from "../e2e/server.mjs";

const port = Number(process.env.PORT ?? 8080);
const server = await serve({ port, redirects: { "/": "/examples/playground/" } });
console.log(`web-sqlite playground: ${server.url}/  (Ctrl+C to stop)`);
