/**
 * A page's side of sharing databases with the other tabs of the origin (see election.ts and
 * broker.ts). The page holds a Web Lock for as long as it lives, so that a holder can tell when
 * it is gone; it reaches a database held by another tab's worker over a port of its own to that
 * worker, and learns from the broker when a database moves to another holder.
 */
import { startBroker } from "../platform.js";
import { inUse } from "../runtime/store.js";
import { type LockManager, lockManager } from "../runtime/locks.js";
import { BROKER_LOCK, clientLock } from "../worker/locks.js";
import type { SpawnWorker } from "../worker/protocol.js";
import {
  BROKER_TO_PAGE,
  type MessageOf,
  ON_HOLDER_PORT,
  PAGE_TO_BROKER,
  read,
} from "../worker/tab-messages.js";
import { WorkerClient } from "./worker-client.js";

/**
 * How long a call on a database shared between tabs waits to reach the tab holding it (the
 * introduction through the broker, retried with every new broker) before DATABASE_UNREACHABLE.
 * Normally it takes a few milliseconds; a database that moves takes about 0.1 s.
 */
export const REACH_TIMEOUT_MS = 15_000;

/**
 * How long a page waits for a broker it connected to to say it is ready before connecting
 * again: a connection made as the broker's tab dies can land on the dying broker, which never
 * answers. Connecting again to a broker that is alive and slow is harmless (the first answer is
 * taken), so the wait doubles from the first to the last.
 */
const READY_WAIT_MS = [250, 4000];

export class Tabs {
  /** This page, as the holders know it. */
  readonly id: string;
  /** The page's connection to the broker; its messages wait in outbox until the broker is ready. */
  private broker: MessagePort;
  private brokerReady = false;
  private readonly outbox: [MessageOf<typeof PAGE_TO_BROKER>, Transferable[]][] = [];
  /** Resolves once the page's own lock is held (a holder must not find it free before). */
  private readonly alive: Promise<void>;
  private readonly links = new Map<string, WorkerClient>();
  /** The newest holder's epoch the broker announced, per database. */
  private readonly epochs = new Map<string, number>();
  /** Whose connections end when a newer holder of their database is announced. */
  private readonly watchers = new Map<string, Set<(epoch: number) => void>>();

  /** Connections sent to the broker that it has not passed on yet, to end if it ends. */
  private readonly unanswered = new Set<() => void>();
  private readonly locks: LockManager;
  /** Why the broker cannot run here, once that is known. */
  private broken: string | null = null;
  /** Gives the page's workers ports to a new broker (workerPort) after the old one ended. */
  private readonly rejoin: () => void;

  /** Sharing, where the page can start the broker and has Web Locks; else null (one tab). */
  static create(rejoin: () => void): Tabs | null {
    const locks = lockManager();
    if (!locks || typeof SharedWorker === "undefined" || typeof MessageChannel === "undefined") {
      return null;
    }
    try {
      return new Tabs(locks, rejoin);
    } catch {
      return null; // the broker cannot start here (e.g. a sandboxed frame)
    }
  }

  private constructor(locks: LockManager, rejoin: () => void) {
    this.id =
      typeof crypto.randomUUID === "function"
        ? crypto.randomUUID()
        : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
    this.locks = locks;
    this.rejoin = rejoin;
    this.broker = this.startBroker();
    this.alive = new Promise((resolve) => {
      void locks.request(clientLock(this.id), {}, () => {
        resolve();
        return new Promise<void>(() => {}); // held until the page ends
      });
    });
  }

  /**
   * Connects to the broker (starting it if no tab has). The broker runs in some tab's process
   * and ends if that one crashes: it holds a Web Lock, which this page waits for once the broker
   * said it holds it (ready); getting it means the broker is gone, and the page starts a new
   * one. Nothing is sent to a broker before it is ready: a connection that lands on a broker
   * dying with its tab never hears ready, and the page connects again, its messages kept.
   */
  private startBroker(wait = READY_WAIT_MS[0]): MessagePort {
    const shared = startBroker();
    const port = shared.port;
    this.brokerReady = false;
    // The script failed to load (not deployed, or refused by a Content-Security-Policy): no
    // tab can be reached through it. Databases held here still work.
    shared.addEventListener("error", (e) => {
      e.preventDefault();
      if (this.broker !== port) return;
      clearTimeout(silent);
      this.broken = "its broker (broker.js, a SharedWorker) did not start";
      for (const end of [...this.unanswered]) end();
    });
    const silent = setTimeout(() => {
      if (this.broker !== port || this.broken) return;
      port.close();
      this.broker = this.startBroker(Math.min(wait * 2, READY_WAIT_MS[1]));
    }, wait);
    port.onmessage = (e) => {
      const m = read(BROKER_TO_PAGE, e.data);
      if (!m || this.broker !== port) return;
      if (m.kind === "ready") {
        clearTimeout(silent);
        this.brokerReady = true;
        for (const [message, transfer] of this.outbox.splice(0))
          port.postMessage(message, transfer);
        for (const { name, epoch } of m.holders) this.announced(name, epoch);
        void this.locks.request(BROKER_LOCK, {}, () => {
          if (this.broker === port) this.restartBroker();
        });
      } else {
        this.announced(m.name, m.epoch);
      }
    };
    return port;
  }

  /** The broker announced a holder of name (a new one, or the one it has, to a new page). */
  private announced(name: string, epoch: number): void {
    this.epochs.set(name, Math.max(epoch, this.epochs.get(name) ?? 0));
    for (const watch of this.watchers.get(name) ?? []) watch(epoch);
  }

  private toBroker(message: MessageOf<typeof PAGE_TO_BROKER>, transfer: Transferable[]): void {
    if (this.brokerReady) this.broker.postMessage(message, transfer);
    else this.outbox.push([message, transfer]);
  }

  private restartBroker(): void {
    this.broker.close();
    this.broker = this.startBroker();
    this.rejoin();
    // What the old broker had not passed on never reached a holder: those connections end,
    // and their requests, which left no trace, go again.
    for (const end of [...this.unanswered]) end();
  }

  /** A new port to the broker for the page's worker (it goes with the worker's load request). */
  workerPort(): MessagePort {
    const { port1, port2 } = new MessageChannel();
    this.toBroker({ kind: "worker", port: port1 }, [port1]);
    return port2;
  }

  /**
   * The client that reaches the holder of name. When a newer holder is announced, its requests
   * in flight end (WORKER_DIED, which the database turns into a retry or OUTCOME_UNKNOWN) and
   * the next request connects to the new holder.
   */
  async link(name: string): Promise<WorkerClient> {
    if (this.broken) {
      throw inUse(
        name,
        `by another tab, which this page cannot reach: ${this.broken}. Serve broker.js beside ` +
          `index.js, or have the bundler emit it, and allow it as a worker; or close the ` +
          `database in the other tab`,
      );
    }
    await this.alive;
    let client = this.links.get(name);
    if (!client) {
      client = new WorkerClient(this.connect(name), { acks: true });
      this.links.set(name, client);
    }
    return client;
  }

  /** Ends every connection to a holder (shutdown()): their pending calls reject. */
  disconnect(): void {
    for (const link of this.links.values()) link.terminate();
  }

  private connect(name: string): SpawnWorker {
    return async (handlers) => {
      const { port1, port2 } = new MessageChannel();
      // The holder this port reaches, told by the broker before it passes the port on.
      let epoch = 0;
      let newest = this.epochs.get(name) ?? 0;
      let ended = false;
      const end = (unreachable = false) => {
        if (ended) return;
        ended = true;
        clearTimeout(reach);
        this.unanswered.delete(end);
        this.watchers.get(name)?.delete(watch);
        if (unreachable) {
          handlers.died(
            `no tab holding '${name}' answered within ${REACH_TIMEOUT_MS / 1000} s (the ` +
              `tab holding it may be frozen, or tabs are starting and ending); the call did ` +
              `not run there. Try it again`,
            "DATABASE_UNREACHABLE",
          );
        } else {
          handlers.died(`the tab holding '${name}' closed; the database moved to another tab`);
        }
      };
      // Introductions are retried with every new broker, yet the holder may never register
      // (a frozen tab): the calls waiting for it do not wait forever.
      const reach = setTimeout(() => end(true), REACH_TIMEOUT_MS);
      const watch = (announced: number) => {
        newest = Math.max(newest, announced);
        if (epoch > 0 && newest > epoch) end();
      };
      const watchers = this.watchers.get(name) ?? new Set();
      watchers.add(watch);
      this.watchers.set(name, watchers);
      port1.onmessage = (e) => {
        const m = read(ON_HOLDER_PORT, e.data);
        if (m?.kind === "introduced") {
          epoch = m.epoch;
          clearTimeout(reach);
          this.unanswered.delete(end);
          watch(newest);
          return;
        }
        handlers.message(e.data);
      };
      port1.onmessageerror = () => handlers.died("a message could not be decoded");
      this.unanswered.add(end);
      this.toBroker({ kind: "connect", name, port: port2, client: this.id, epoch: newest }, [
        port2,
      ]);
      return {
        postMessage: (m, transfer) => port1.postMessage(m, transfer),
        terminate: () => {
          end();
          // If the holder is alive (the database did not move; this page moved on), it closes
          // what this port had open there.
          port1.postMessage({ kind: "bye" } satisfies MessageOf<typeof ON_HOLDER_PORT>);
          port1.close();
        },
      };
    };
  }
}
