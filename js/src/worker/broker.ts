/**
 * The broker: a tiny SharedWorker that only introduces pages to the worker holding a database.
 * It runs no SQL and keeps no data. Each page connects to it, and gives it a port to the page's
 * own worker. A worker that takes a database's Web Lock registers as its holder; the broker
 * numbers holders per database (the epoch) and tells every page. A page that wants a database
 * held elsewhere sends a new MessagePort; the broker writes the holder's epoch on it and passes
 * it to the holder, so the page then talks to the holder directly, with no hop through here.
 * The messages are defined in tab-messages.ts.
 */
import { lockManager } from "../runtime/locks.js";
import { BROKER_LOCK } from "./locks.js";
import {
  BROKER_TO_PAGE,
  BROKER_TO_WORKER,
  type MessageOf,
  ON_HOLDER_PORT,
  PAGE_TO_BROKER,
  WORKER_TO_BROKER,
  read,
} from "./tab-messages.js";

/** The broker's Web Lock, held while it lives. */
const held = new Promise<void>((resolve) => {
  void lockManager()?.request(BROKER_LOCK, {}, () => {
    resolve();
    return new Promise<void>(() => {});
  });
});

interface Scope {
  addEventListener(type: "connect", listener: (e: MessageEvent) => void): void;
}

interface Holder {
  worker: MessagePort;
  epoch: number;
}

type Connect = MessageOf<typeof PAGE_TO_BROKER> & { kind: "connect" };

const toPage = (page: MessagePort, m: MessageOf<typeof BROKER_TO_PAGE>) => page.postMessage(m);

const pages: MessagePort[] = [];
const holders = new Map<string, Holder>();
const epochs = new Map<string, number>();
/** Connections waiting for a holder of at least their epoch. */
const waiting = new Map<string, Connect[]>();

function pass(name: string): void {
  const holder = holders.get(name);
  const queue = waiting.get(name);
  if (!holder || !queue) return;
  const later = queue.filter((c) => c.epoch > holder.epoch);
  for (const c of queue) {
    if (c.epoch > holder.epoch) continue;
    const introduced: MessageOf<typeof ON_HOLDER_PORT> = {
      kind: "introduced",
      epoch: holder.epoch,
    };
    c.port.postMessage(introduced);
    const served: MessageOf<typeof BROKER_TO_WORKER> = { ...c, epoch: holder.epoch };
    holder.worker.postMessage(served, [c.port]);
  }
  if (later.length) waiting.set(name, later);
  else waiting.delete(name);
}

function fromWorker(worker: MessagePort, data: unknown): void {
  const m = read(WORKER_TO_BROKER, data);
  if (!m) return;
  const { name } = m;
  if (m.holding) {
    // A holder that tells a new broker (the last one ended) what it held keeps its epoch: the
    // pages' connections to it stay good. Otherwise the database moved: a new epoch, which
    // grows across brokers too (Date.now()), and every page hears of it.
    const known = epochs.get(name) ?? 0;
    const kept = m.epoch !== null && m.epoch >= known;
    const epoch = kept ? m.epoch! : Math.max(Date.now(), known + 1);
    epochs.set(name, epoch);
    holders.set(name, { worker, epoch });
    worker.postMessage({ kind: "held", name, epoch } satisfies MessageOf<typeof BROKER_TO_WORKER>);
    if (!kept) for (const page of pages) toPage(page, { kind: "moved", name, epoch });
    pass(name);
  } else if (holders.get(name)?.worker === worker) {
    holders.delete(name);
  }
}

function fromPage(data: unknown): void {
  const m = read(PAGE_TO_BROKER, data);
  if (m?.kind === "worker") {
    m.port.onmessage = (e) => fromWorker(m.port, e.data);
  } else if (m?.kind === "connect") {
    const queue = waiting.get(m.name) ?? [];
    queue.push(m);
    waiting.set(m.name, queue);
    pass(m.name);
  }
}

(globalThis as unknown as Scope).addEventListener("connect", (e) => {
  const page = e.ports[0];
  page.onmessage = (m) => fromPage(m.data);
  // Ready once the broker holds its lock, with the holders known now: a page that connects
  // after a database moved (to a broker that started after its tab's broker ended) learns of it.
  void held.then(() => {
    pages.push(page);
    const known = [...holders].map(([name, h]) => ({ name, epoch: h.epoch }));
    toPage(page, { kind: "ready", holders: known });
  });
});
