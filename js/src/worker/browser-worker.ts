/**
 * The dedicated-worker entry in browsers: the dispatcher over OPFS, for its own page and, for
 * the databases this worker holds, for the other tabs of the origin (election.ts, broker.ts).
 */
import { isPersistent } from "../runtime/storages.js";
import { threadStores } from "../platform.js";
import { loadRuntime } from "../runtime/runtime.js";
import { Dispatcher, OWN_PAGE } from "./dispatcher.js";
import { HANDLERS } from "./handlers.js";
import { Election } from "./election.js";
import { lockManager } from "../runtime/locks.js";
import { clientLock } from "./locks.js";
import {
  CHANGES_CHANNEL,
  type WorkerSetup,
  changesEvent,
  committingEvent,
  afterSetup,
  logEvent,
} from "./protocol.js";
import {
  BROKER_TO_WORKER,
  type MessageOf,
  ON_HOLDER_PORT,
  WORKER_TO_BROKER,
  read,
} from "./tab-messages.js";

interface WorkerScope {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: "message", listener: (e: MessageEvent) => void): void;
}

const scope = globalThis as unknown as WorkerScope;
const locks = lockManager();
let broker: MessagePort | null = null;
const changesChannel = new BroadcastChannel(CHANGES_CHANNEL);

const election: Election | undefined = locks
  ? new Election({
      locks,
      announce: (name, holding, epoch) =>
        broker?.postMessage({
          kind: "holding",
          name,
          holding,
          epoch: epoch ?? null,
        } satisfies MessageOf<typeof WORKER_TO_BROKER>),
      inUse: (name): boolean => dispatcher.databases.has(name),
    })
  : undefined;

/** The dispatcher, made when the page's setup (the first message) came. */
let dispatcher: Dispatcher;
const start = ({ wasm, cipherWasm, module, restart }: WorkerSetup): Dispatcher => {
  dispatcher = new Dispatcher({
    handlers: HANDLERS,
    // After the page's previous worker died, or the previous holder of a database shared between
    // tabs, its OPFS handles (or IndexedDB lock) may take seconds to be released.
    stores: threadStores({ contentionMs: restart || election ? 5000 : 400 }),
    load: (host, cipher) =>
      loadRuntime({
        wasm: cipher ? cipherWasm : (module ?? wasm),
        host,
        log: (code, message) => scope.postMessage(logEvent(code, message)),
      }),
    election,
    joined: (port) => {
      broker = port;
      port.onmessage = (e) => {
        const m = read(BROKER_TO_WORKER, e.data);
        if (m?.kind === "connect") serve(m.port, m.client);
        else if (m?.kind === "held") election?.heldAs(m.name, m.epoch);
      };
      election?.announceAll(); // a new broker, after the last one ended
    },
  });
  // A persistent database: every page hears of its commits on the channel (its own page too,
  // client/change-feed.ts); a memory database: the worker's own page alone. Each change once.
  dispatcher.onFeed((changes) => {
    if (isPersistent(changes.storage)) changesChannel.postMessage(changes);
    else scope.postMessage(changesEvent(changes));
  });
  return dispatcher;
};

/** Pages that are watched: when a page's lock frees, the page is gone. */
const watched = new Set<string>();
/** The clients of each watched page (one per port it connected). */
const clientsOf = new Map<string, Set<string>>();
let ports = 0;

/**
 * Serves another page's requests on port. Each port is a client of its own: the page ends it
 * with { bye } when it moves on (its connections here close), and the page's end ends them all.
 */
function serve(port: MessagePort, page: string): void {
  const client = `${page}#${++ports}`;
  const clients = clientsOf.get(page) ?? new Set();
  clients.add(client);
  clientsOf.set(page, clients);
  // The page learns which requests are about to commit what they wrote: one that never got
  // that far left no trace here, and goes to the next holder if this one ends.
  const committing = (id: number) => port.postMessage(committingEvent(id));
  port.onmessage = async (e) => {
    if (read(ON_HOLDER_PORT, e.data)?.kind === "bye") {
      clients.delete(client);
      port.close();
      await dispatcher.dropClient(client);
      return;
    }
    const { response, transfer } = await dispatcher.handle(e.data, client, committing);
    port.postMessage(response, transfer);
  };
  if (locks && !watched.has(page)) {
    watched.add(page);
    void locks.request(clientLock(page), {}, async () => {
      watched.delete(page);
      for (const gone of clientsOf.get(page) ?? []) await dispatcher.dropClient(gone);
      clientsOf.delete(page);
    });
  }
}

/** The own page, too, learns which request is about to commit (see serve). */
const committingHere = (id: number) => scope.postMessage(committingEvent(id));

const onMessage = afterSetup(start, async (served, message) => {
  const { response, transfer } = await served.handle(message, OWN_PAGE, committingHere);
  scope.postMessage(response, transfer);
});
scope.addEventListener("message", (e) => onMessage(e.data));
