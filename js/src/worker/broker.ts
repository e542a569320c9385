/**
 * The broker: a tiny SharedWorker that only introduces pages to the worker holding a database.
 * It runs no SQL and keeps no data. Each page connects to it, and gives it a port to the page's
 * own worker. A worker that takes a database's Web Lock registers as its holder; the broker
 * numbers holders per database (the epoch) and tells every page. A page that wants a database
 * held elsewhere sends a new MessagePort; the broker writes the holder's epoch on it and passes
 * it to the holder, so the page then talks to the holder directly, with no hop through here.
 */
import { BROKER_LOCK, lockManager } from "./locks.js";

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null;
}

/** The broker's Web Lock, held while it lives. */
const held = new Promise<void>((resolve) => {
  void lockManager()?.request(BROKER_LOCK, {}, () => {
    resolve();
    return new Promise<void>(() => {});
  });
});

/** Messages between pages, workers and the broker. */
export type BrokerMessage =
  | { ready: true } // broker → page: it holds its Web Lock (the page watches it)
  | { worker: MessagePort } // page → broker: a port to the page's worker
  | { holder: string; holding: boolean; epoch?: number } // worker → broker (epoch: it held it before)
  | { held: string; epoch: number } // broker → worker: its epoch as the holder
  | { connect: string; port: MessagePort; client: string; epoch: number } // page → broker → holder
  | { moved: string; epoch: number } // broker → pages: a new holder
  | { epoch: number }; // broker → page, on the port it passed on: the holder it reaches

interface Scope {
  addEventListener(type: "connect", listener: (e: MessageEvent) => void): void;
}

interface Holder {
  worker: MessagePort;
  epoch: number;
}

const pages: MessagePort[] = [];
const holders = new Map<string, Holder>();
const epochs = new Map<string, number>();
/** Connections waiting for a holder of at least their epoch. */
const waiting = new Map<string, { port: MessagePort; client: string; epoch: number }[]>();

function pass(name: string): void {
  const holder = holders.get(name);
  const queue = waiting.get(name);
  if (!holder || !queue) return;
  const later = queue.filter((c) => c.epoch > holder.epoch);
  for (const c of queue) {
    if (c.epoch > holder.epoch) continue;
    c.port.postMessage({ epoch: holder.epoch } satisfies BrokerMessage);
    holder.worker.postMessage(
      { connect: name, port: c.port, client: c.client, epoch: holder.epoch },
      [c.port],
    );
  }
  if (later.length) waiting.set(name, later);
  else waiting.delete(name);
}

function fromWorker(worker: MessagePort, m: Record<string, unknown>): void {
  if (typeof m.holder !== "string") return;
  const name = m.holder;
  if (m.holding) {
    // A holder that tells a new broker (the last one ended) what it held keeps its epoch: the
    // pages' connections to it stay good. Otherwise the database moved: a new epoch, which
    // grows across brokers too (Date.now()), and every page hears of it.
    const known = epochs.get(name) ?? 0;
    const kept = typeof m.epoch === "number" && m.epoch >= known;
    const epoch = kept ? (m.epoch as number) : Math.max(Date.now(), known + 1);
    epochs.set(name, epoch);
    holders.set(name, { worker, epoch });
    worker.postMessage({ held: name, epoch } satisfies BrokerMessage);
    if (!kept) {
      for (const page of pages) page.postMessage({ moved: name, epoch } satisfies BrokerMessage);
    }
    pass(name);
  } else if (holders.get(name)?.worker === worker) {
    holders.delete(name);
  }
}

function fromPage(m: Record<string, unknown>): void {
  if (m.worker instanceof MessagePort) {
    const worker = m.worker;
    worker.onmessage = (e) => isObject(e.data) && fromWorker(worker, e.data);
  } else if (typeof m.connect === "string" && m.port instanceof MessagePort) {
    const queue = waiting.get(m.connect) ?? [];
    queue.push({ port: m.port, client: String(m.client), epoch: Number(m.epoch) || 0 });
    waiting.set(m.connect, queue);
    pass(m.connect);
  }
}

(globalThis as unknown as Scope).addEventListener("connect", (e) => {
  const page = e.ports[0];
  pages.push(page);
  page.onmessage = (m) => isObject(m.data) && fromPage(m.data);
  void held.then(() => page.postMessage({ ready: true } satisfies BrokerMessage));
});
