/**
 * Where the page's databases live: the page's workers (one per location of the wasm), and the
 * other tabs' holders a database shared between tabs is routed to (tabs.ts). place() opens a
 * database at its holder, and again at the next one when it moved.
 */
import { isPersistent } from "../runtime/storages.js";
import { baseUrl, compileWasm, defaultWasmUrl, isNode, spawnWorker } from "../platform.js";
import { cipherWasmOf } from "../runtime/cipher-wasm.js";
import type { Result } from "../worker/handlers.js";
import type { Storage } from "../worker/protocol.js";
import type { Args } from "../worker/requests.js";
import { hearChanges, tellChanges } from "./change-feed.js";
import { Tabs } from "./tabs.js";
import { WorkerClient } from "./worker-client.js";

/**
 * The page's workers: one serves every database, per location of the wasm (the option `wasm`;
 * "" for the default): another binary is another worker.
 */
const clients = new Map<string, WorkerClient>();
/** Sharing databases with the other tabs; null where it is not available (and in Node). */
let sharedTabs: Tabs | null | undefined;

export function tabs(): Tabs | null {
  if (sharedTabs === undefined) {
    sharedTabs = isNode
      ? null
      : Tabs.create(() => {
          for (const c of clients.values()) {
            const broker = sharedTabs!.workerPort();
            void c.request("join", { broker }, [broker]).catch(() => {});
          }
        });
  }
  return sharedTabs;
}

/** The page's worker for the wasm at wasm (the default: the package's). */
export function workerOf(wasm?: string | URL): WorkerClient {
  const key = wasm?.toString() ?? "";
  let c = clients.get(key);
  if (!c) {
    hearChanges();
    c = new WorkerClient(spawnWorker, {
      join: () => tabs()?.workerPort() ?? null,
      acks: !isNode,
      changes: tellChanges,
      wasm: new URL(wasm ?? defaultWasmUrl(), baseUrl()).href,
      cipherWasm: cipherWasmOf(wasm).toString(),
      compile: compileWasm,
    });
    clients.set(key, c);
  }
  return c;
}

export type OpenArgs = Omit<Args<"open">, "shared">;
/** An open's arguments with the storage it opened in. */
export type OpenedArgs = OpenArgs & { storage: Storage };

/** The page's numbers for its databases, for the worker's count of who follows a name. */
let nextKey = 1;

/** A new number for a database the page opens. */
export function newKey(): number {
  return nextKey++;
}

/** The code of an error, if it has one. */
export const errorCode = (e: unknown) => (e as { code?: unknown } | null)?.code;

/** The other tabs a database in storage is shared with (null: not shared). */
export function sharing(storage: Storage | null): Tabs | null {
  return storage === null || isPersistent(storage) ? tabs() : null;
}

/**
 * Opens a database where it lives: in this page's worker, or (OPFS, shared between tabs) at the
 * worker that holds it, whichever tab that is. Routes again when the database moved meanwhile.
 */
export async function place(
  own: WorkerClient,
  args: OpenArgs,
  key: number,
): Promise<{ client: WorkerClient; opened: Result<"open"> }> {
  const shared = sharing(args.storage);
  for (;;) {
    let route = own;
    try {
      if (shared) {
        const { holder } = await own.request("follow", { name: args.name, key });
        if (!holder) route = await shared.link(args.name);
      }
      return { client: route, opened: await route.request("open", { ...args, shared: !!shared }) };
    } catch (e) {
      // The holder let the database go or ended while the open was on its way.
      if (route !== own && (errorCode(e) === "NOT_HOLDER" || errorCode(e) === "WORKER_DIED"))
        continue;
      if (shared) void own.request("unfollow", { name: args.name, key }).catch(() => {});
      throw e;
    }
  }
}

/** shutdown() calls so far. */
let shutdownCalls = 0;

/** How many times shutdown() was called (a database opened before one is closed by it). */
export function shutdowns(): number {
  return shutdownCalls;
}

/**
 * Stops the page's worker (each, if databases were opened with several `wasm` locations). Open
 * databases are closed (those shared with other tabs too: they stay open in the other tabs);
 * the next open() starts a new worker.
 */
export function shutdown(): void {
  shutdownCalls++;
  for (const c of clients.values()) c.terminate();
  sharedTabs?.disconnect();
}
