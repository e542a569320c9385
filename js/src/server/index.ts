/**
 * web-sqlite/server: the sync gateway between devices and PostgreSQL (Node only).
 *
 *   const server = await createSyncServer({ postgres: "postgres://…", tables: ["todos"] });
 *   http.createServer(server.handler).listen(8787);
 *
 * A plain Node (req, res) handler: devices POST JSON to <url>/hello, /upload, /pull, /snapshot
 * and /checkpoint (pgsync/wire.ts). Every request is validated, authorized and bounded; what the
 * gateway must remember lives in Postgres (postgres.ts), so any number of gateways can serve one
 * Postgres. docs/API.md "Sync with PostgreSQL".
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import pg from "pg";
import { BadRequest, type Check } from "../schema.js";
import {
  type Endpoint,
  ENDPOINTS,
  type ErrorAnswer,
  checkpoint,
  hello,
  identifier,
  pull,
  snapshotRequest,
  upload,
} from "../pgsync/wire.js";
import { type Gateway, type RowFilter, type SyncUser, Refusal, makeGateway } from "./gateway.js";
import { connectionConfig, prepare } from "./postgres.js";
import { LogWriter } from "./replication.js";

export type { RowFilter, SyncUser };
export { Refusal };

export interface SyncServerOptions {
  /** A connection string, or pg's connection settings. The user needs REPLICATION. */
  postgres: string | pg.ClientConfig;
  /** The synced tables (in Postgres's search path; each with a primary key). */
  tables: string[];
  /** Let pages of other origins call the server: true for any, or a list of origins. */
  cors?: boolean | string[];
  /**
   * Who makes a request: return the user (its id names the device's owner), or throw to refuse
   * (a Refusal's status, else 401). Without it every request is the same anonymous user.
   */
  authorize?: (request: IncomingMessage) => SyncUser | Promise<SyncUser>;
  /**
   * The rows of a table a user may read and write: column → the value it must have, e.g.
   * `{ todos: (user) => ({ owner: user.id }) }`. A table without a filter is all users'.
   */
  filters?: Record<string, RowFilter>;
  /** The name of the publication and of the replication slot (default "wsq_sync"). */
  slot?: string;
  /**
   * How long the log of changes keeps a transaction, in ms (default 7 days): a device that was
   * away longer takes a new snapshot (its pending writes kept).
   */
  retentionMs?: number;
  /** The largest request body, in bytes (default 8 MiB): larger ones get 413. */
  maxBodyBytes?: number;
  /** Where the server says what went wrong in the background (default console.error). */
  log?: (message: string) => void;
}

export interface SyncServer {
  /** The request handler, for http.createServer or any Node framework. */
  handler: (request: IncomingMessage, response: ServerResponse) => void;
  /** Stops the log writer, answers the waiting pulls and closes the connections to Postgres. */
  close(): Promise<void>;
}

const SLOT = /^[a-z0-9_]{1,63}$/;
const CHECKS: Record<Endpoint, Check<unknown>> = {
  hello,
  upload,
  pull,
  snapshot: snapshotRequest,
  checkpoint,
};

export async function createSyncServer(options: SyncServerOptions): Promise<SyncServer> {
  const slot = options.slot ?? "wsq_sync";
  if (!SLOT.test(slot)) {
    throw new TypeError(`createSyncServer: slot "${slot}" must be lowercase letters, digits and _`);
  }
  if (!Array.isArray(options.tables) || options.tables.length === 0) {
    throw new TypeError("createSyncServer: tables must name at least one table");
  }
  for (const t of options.tables) {
    try {
      identifier(t, "tables");
    } catch {
      throw new TypeError(`createSyncServer: "${String(t)}" is not a plain table name`);
    }
  }
  const filters = options.filters ?? {};
  for (const name of Object.keys(filters)) {
    if (!options.tables.includes(name)) {
      throw new TypeError(`createSyncServer: filters names "${name}", which is not in tables`);
    }
  }
  const log = options.log ?? ((m: string) => console.error(m));
  const config = connectionConfig(options.postgres);
  const pool = new pg.Pool({ ...config, max: 10 });
  pool.on("error", () => undefined); // an idle connection lost: the next query makes another
  let tables;
  try {
    tables = await prepare(pool, options.tables, slot, new Set(Object.keys(filters)));
  } catch (e) {
    await pool.end();
    throw e;
  }
  const channel = `wsq_sync_${slot}`;
  const gateway = makeGateway({
    pool,
    config,
    tables,
    filters,
    channel,
    authorize: options.authorize,
  });
  const retentionMs = options.retentionMs ?? 7 * 24 * 3600 * 1000;
  if (!(retentionMs > 0)) throw new TypeError("createSyncServer: retentionMs must be > 0");
  const writer = new LogWriter({ config, slot, channel, log, retentionMs });
  const maxBody = options.maxBodyBytes ?? 8 * 1024 * 1024;
  const cors = options.cors ?? false;

  const handler = (request: IncomingMessage, response: ServerResponse) => {
    serve(gateway, request, response, maxBody, cors).catch((e) => {
      log(`sync server: ${String(e)}`);
      // An error with a code is Postgres's or the network's (away, restarting): try again.
      const away = typeof (e as { code?: unknown })?.code === "string";
      if (response.headersSent) response.destroy();
      else if (away)
        send(response, 503, error("UNAVAILABLE", "Postgres is not reachable now; try again"));
      else send(response, 500, error("INTERNAL", "the server failed"));
    });
  };
  return {
    handler,
    async close() {
      await writer.stop();
      await gateway.close();
      await pool.end();
    },
  };
}

function error(code: string, message: string, differences?: string[]): ErrorAnswer {
  return { error: differences ? { code, message, differences } : { code, message } };
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
  });
  response.end(text);
}

/** The CORS headers for the request's origin, if it may call (null: it may not). */
function corsHeaders(
  request: IncomingMessage,
  cors: boolean | string[],
): Record<string, string> | null {
  const origin = request.headers.origin;
  if (!origin) return {};
  if (cors === false) {
    // A page of the same origin sends its Origin too: the host it names is this one.
    let host = "";
    try {
      host = new URL(origin).host;
    } catch {
      // not a URL: no origin of ours
    }
    return host === request.headers.host ? {} : null;
  }
  if (cors !== true && !cors.includes(origin)) return null;
  return { "access-control-allow-origin": origin, vary: "Origin" };
}

/** The body as JSON; null when it was answered already (too large, not JSON). */
async function body(request: IncomingMessage, response: ServerResponse, max: number) {
  const type = request.headers["content-type"] ?? "";
  if (!/^application\/json\b/i.test(type)) {
    send(response, 415, error("UNSUPPORTED_MEDIA_TYPE", "send the request as application/json"));
    return null;
  }
  const declared = Number(request.headers["content-length"] ?? 0);
  if (declared > max) {
    send(response, 413, error("TOO_LARGE", `the request is larger than ${max} bytes`));
    request.resume();
    return null;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > max) {
      send(response, 413, error("TOO_LARGE", `the request is larger than ${max} bytes`));
      request.destroy();
      return null;
    }
    chunks.push(chunk as Buffer);
  }
  try {
    return { value: JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown };
  } catch {
    send(response, 400, error("BAD_REQUEST", "the request body is not JSON"));
    return null;
  }
}

async function serve(
  gateway: Gateway,
  request: IncomingMessage,
  response: ServerResponse,
  maxBody: number,
  cors: boolean | string[],
): Promise<void> {
  const headers = corsHeaders(request, cors);
  if (headers === null) {
    send(response, 403, error("FORBIDDEN", "this origin may not call the sync server (cors)"));
    return;
  }
  for (const [k, v] of Object.entries(headers)) response.setHeader(k, v);
  if (request.method === "OPTIONS") {
    response.writeHead(204, {
      "access-control-allow-methods": "POST",
      "access-control-allow-headers": "content-type, authorization",
      "access-control-max-age": "600",
    });
    response.end();
    return;
  }
  const path = new URL(request.url ?? "/", "http://x").pathname;
  const endpoint = path.slice(path.lastIndexOf("/") + 1) as Endpoint;
  if (!ENDPOINTS.includes(endpoint)) {
    send(response, 404, error("NOT_FOUND", `no sync endpoint at ${path}`));
    return;
  }
  if (request.method !== "POST") {
    response.setHeader("allow", "POST, OPTIONS");
    send(response, 405, error("METHOD_NOT_ALLOWED", "sync requests are POSTs"));
    return;
  }
  let user: SyncUser;
  try {
    user = await gateway.authorize(request);
  } catch (e) {
    const status = e instanceof Refusal ? e.status : 401;
    send(
      response,
      status,
      error(status === 403 ? "FORBIDDEN" : "UNAUTHORIZED", String((e as Error).message ?? e)),
    );
    return;
  }
  const parsed = await body(request, response, maxBody);
  if (!parsed) return;
  let args: unknown;
  try {
    args = CHECKS[endpoint](parsed.value, "");
  } catch (e) {
    if (!(e instanceof BadRequest)) throw e;
    send(response, 400, error("BAD_REQUEST", e.message));
    return;
  }
  try {
    if (endpoint === "snapshot") {
      await gateway.snapshot(user, args as never, response);
      return;
    }
    const answer = await gateway[endpoint](user, args as never);
    send(response, 200, answer);
  } catch (e) {
    if (!(e instanceof Refusal)) throw e;
    send(response, e.status, error(e.code, e.message, e.differences));
  }
}
