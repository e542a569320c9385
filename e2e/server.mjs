/**
 * A static file server for the browser tests, the benchmarks and the playground: serves the
 * repository on 127.0.0.1, WITHOUT cross-origin isolation headers (web-sqlite must not need them).
 * Responses are revalidated by ETag, so a second load is served from the HTTP cache.
 */
import { createReadStream, promises as fs } from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

/**
 * Ports are fixed (OPFS belongs to an origin, port included), and the runs of several engines
 * may go at once (make test-e2e runs Firefox and WebKitGTK side by side): the servers of an
 * engine's run listen this far above the ports the tests name.
 */
const PORT_OFFSET = { firefox: 100, webkit: 200 }[process.env.WSQ_ENGINE] ?? 0;

/**
 * Starts the server. root is the directory served (default: the repository); redirects maps a
 * URL path ("/") to another; a path ending in / serves its index.html; headers are added to
 * every response (a test may add a Content-Security-Policy). With fallback, a path that names no
 * file is answered with the root's index.html, as many hosts of single-page apps do. types maps
 * a file extension to the Content-Type served for it instead of the usual one.
 * /never-answers is accepted and never answered. routes maps a path prefix to a (req, res) handler
 * of its own (make demo mounts the sync server at /sync/).
 */
export async function serve({
  port,
  root = ROOT,
  redirects = {},
  headers = {},
  fallback,
  types = {},
  routes = {},
} = {}) {
  const typeOf = (file) =>
    ({ ...TYPES, ...types })[path.extname(file)] ?? "application/octet-stream";
  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url, "http://127.0.0.1");
      const route = Object.keys(routes).find((prefix) => url.pathname.startsWith(prefix));
      if (route) {
        routes[route](req, res);
        return;
      }
      if (redirects[url.pathname]) {
        res.writeHead(302, { Location: redirects[url.pathname] }).end();
        return;
      }
      // Held open, never answered: what a test needs of a server that hangs.
      if (url.pathname === "/never-answers") return;
      let rel = decodeURIComponent(url.pathname);
      if (rel.endsWith("/")) rel += "index.html";
      let file = path.join(root, path.normalize(rel));
      if (!file.startsWith(root + path.sep)) throw Object.assign(new Error(), { code: "ENOENT" });
      let stat = await fs.stat(file).catch((e) => (fallback ? null : Promise.reject(e)));
      if (!stat?.isFile() && fallback) {
        file = path.join(root, "index.html");
        stat = await fs.stat(file);
      }
      if (!stat.isFile()) throw Object.assign(new Error(), { code: "ENOENT" });
      const etag = `"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`;
      const common = { ETag: etag, "Cache-Control": "no-cache", ...headers };
      if (req.headers["if-none-match"] === etag) {
        res.writeHead(304, common).end();
        return;
      }
      res.writeHead(200, {
        "Content-Type": typeOf(file),
        "Content-Length": stat.size,
        ...common,
      });
      createReadStream(file).pipe(res);
    } catch (e) {
      res.writeHead(e.code === "ENOENT" ? 404 : 500, { "Content-Type": "text/plain" });
      res.end(e.code === "ENOENT" ? "not found" : String(e));
    }
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port ? port + PORT_OFFSET : port, "127.0.0.1", resolve);
  });
  const address = server.address();
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(resolve);
        server.closeAllConnections(); // /never-answers, and idle keep-alive connections
      }),
  };
}
