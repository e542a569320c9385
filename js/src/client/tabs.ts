/**
 * A page's side of sharing databases with the other tabs of the origin (see election.ts and
 * broker.ts). The page holds a Web Lock for as long as it lives, so that a holder can tell when
 * it is gone; it reaches a database held by another tab's worker over a port of its own to that
 * worker, and learns from the broker when a database moves to another holder.
 */
import { startBroker } from "../platform.js";
import { inUse } from "../runtime/store.js";
import type { BrokerMessage } from "../worker/broker.js";
import { BROKER_LOCK, type LockManager, clientLock, lockManager } from "../worker/locks.js";
import { CHANGES_CHANNEL, type Changes, isObject } from "../worker/protocol.js";
import { type SpawnWorker, WorkerClient, callSafely } from "./worker-client.js";

export class Tabs {
  /** This page, as the holders know it. */
  readonly id: string;
  private broker: MessagePort;
  /** Resolves once the page's own lock is held (a holder must not find it free before). */
  private readonly alive: Promise<void>;
  private readonly links = new Map<string, WorkerClient>();
  /** The newest holder's epoch the broker announced, per database. */
  private readonly epochs = new Map<string, number>();
  /** Whose connections end when a newer holder of their database is announced. */
  private readonly watchers = new Map<string, Set<(epoch: number) => void>>();

  /** Receive the tables commits changed in databases shared between tabs (from any tab). */
  readonly changeListeners = new Set<(changes: Changes) => void>();
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
    new BroadcastChannel(CHANGES_CHANNEL).onmessage = (e) => {
      for (const listener of this.changeListeners) callSafely(listener, e.data as Changes);
    };
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
   * said it holds it; getting it means the broker is gone, and the page starts a new one.
   */
  private startBroker(): MessagePort {
    const shared = startBroker();
    const port = shared.port;
    // The script failed to load (not deployed, or refused by a Content-Security-Policy): no
    // tab can be reached through it. Databases held here still work.
    shared.addEventListener("error", (e) => {
      e.preventDefault();
      if (this.broker !== port) return;
      this.broken = "its broker (broker.js, a SharedWorker) did not start";
      for (const end of [...this.unanswered]) end();
    });
    port.onmessage = (e) => {
      const m = e.data as Partial<{ moved: string; epoch: number; ready: boolean }>;
      if (!isObject(m)) return;
      if (m.ready) {
        void this.locks.request(BROKER_LOCK, {}, () => {
          if (this.broker === port) this.restartBroker();
        });
      }
      if (typeof m.moved !== "string" || typeof m.epoch !== "number") return;
      this.epochs.set(m.moved, Math.max(m.epoch, this.epochs.get(m.moved) ?? 0));
      for (const watch of this.watchers.get(m.moved) ?? []) watch(m.epoch);
    };
    return port;
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
    this.broker.postMessage({ worker: port1 } satisfies BrokerMessage, [port1]);
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
      const end = () => {
        if (ended) return;
        ended = true;
        this.unanswered.delete(end);
        this.watchers.get(name)?.delete(watch);
        handlers.died(`the tab holding '${name}' closed; the database moved to another tab`);
      };
      const watch = (announced: number) => {
        newest = Math.max(newest, announced);
        if (epoch > 0 && newest > epoch) end();
      };
      const watchers = this.watchers.get(name) ?? new Set();
      watchers.add(watch);
      this.watchers.set(name, watchers);
      port1.onmessage = (e) => {
        const m = e.data as { epoch?: unknown; id?: unknown };
        if (isObject(m) && typeof m.epoch === "number" && m.id === undefined) {
          epoch = m.epoch;
          this.unanswered.delete(end);
          watch(newest);
          return;
        }
        handlers.message(e.data);
      };
      port1.onmessageerror = () => handlers.died("a message could not be decoded");
      this.unanswered.add(end);
      const message = { connect: name, port: port2, client: this.id, epoch: newest };
      this.broker.postMessage(message satisfies BrokerMessage, [port2]);
      return {
        postMessage: (m, transfer) => port1.postMessage(m, transfer),
        terminate: () => {
          end();
          // If the holder is alive (the database did not move; this page moved on), it closes
          // what this port had open there.
          port1.postMessage({ bye: true });
          port1.close();
        },
      };
    };
  }
}
