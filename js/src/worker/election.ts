/**
 * Which worker of the origin holds each database, when several tabs (or workers) open it. The
 * worker that holds a database's Web Lock is its holder: it opens the files, and serves the
 * other tabs over ports the broker hands it (broker.ts). A worker takes the lock, or waits in
 * line for it, while its own page has the database open, and keeps it while it serves
 * connections to it; when a holder's worker ends, the browser passes the lock to the next
 * worker in line, which tells the broker, and the other tabs move their databases to it.
 */
import { WebSqliteError } from "../errors.js";
import type { LockManager } from "../runtime/locks.js";
import { databaseLock } from "./locks.js";

/** A request reached a worker that does not hold the database (any more): route it again. */
export function notHolder(name: string): WebSqliteError {
  return new WebSqliteError(
    "NOT_HOLDER",
    `this worker does not hold '${name}' (it moved to another tab); the call is routed again`,
  );
}

interface Entry {
  /** The page's databases on the name (open here or at another holder), by the page's keys. */
  interest: Set<number>;
  holding: boolean;
  /** The broker's number for this holding, once it told it. */
  epoch?: number;
  /** Settles once the first, immediate try for the lock is over. */
  ready: Promise<void>;
  release: () => void;
  stopWaiting: AbortController;
}

export interface ElectionOptions {
  locks: LockManager;
  /** Tells the broker this worker now holds the database (true) or let it go (false). */
  announce(name: string, holding: boolean, epoch?: number): void;
  /** Whether connections to the database are open in this worker (served to any page). */
  inUse(name: string): boolean;
}

export class Election {
  private readonly entries = new Map<string, Entry>();
  private readonly options: ElectionOptions;

  constructor(options: ElectionOptions) {
    this.options = options;
  }

  /** Tells a new broker which databases this worker holds. */
  announceAll(): void {
    for (const [name, entry] of this.entries) {
      if (entry.holding) this.options.announce(name, true, entry.epoch);
    }
  }

  /** The broker numbered this worker's holding of name (see broker.ts). */
  heldAs(name: string, epoch: number): void {
    const entry = this.entries.get(name);
    if (entry?.holding) entry.epoch = epoch;
  }

  holds(name: string): boolean {
    return this.entries.get(name)?.holding ?? false;
  }

  /**
   * The page opens name: takes its lock if it is free, else waits in line for it (in the
   * background). Resolves true when this worker holds the database.
   */
  async follow(name: string, key: number): Promise<boolean> {
    let entry = this.entries.get(name);
    if (!entry) {
      const created: Entry = {
        interest: new Set(),
        holding: false,
        ready: Promise.resolve(),
        release: () => {},
        stopWaiting: new AbortController(),
      };
      entry = created;
      this.entries.set(name, created);
      created.ready = this.take(name, created, true).then((held) => {
        if (!held && this.entries.get(name) === created) void this.take(name, created, false);
      });
    }
    entry.interest.add(key);
    await entry.ready;
    return entry.holding;
  }

  /** A database of the page on name was closed. */
  unfollow(name: string, key: number): void {
    this.entries.get(name)?.interest.delete(key);
    this.settle(name);
  }

  /** Lets the database go once neither the page nor another tab uses it here. */
  settle(name: string): void {
    const entry = this.entries.get(name);
    if (!entry || entry.interest.size > 0 || this.options.inUse(name)) return;
    this.entries.delete(name);
    if (entry.holding) {
      entry.holding = false;
      this.options.announce(name, false);
      entry.release();
    } else {
      entry.stopWaiting.abort();
    }
  }

  private take(name: string, entry: Entry, now: boolean): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const options = now ? { ifAvailable: true } : { signal: entry.stopWaiting.signal };
      this.options.locks
        .request(databaseLock(name), options, (lock) => {
          if (!lock || this.entries.get(name) !== entry) {
            resolve(false);
            return undefined;
          }
          entry.holding = true;
          this.options.announce(name, true);
          resolve(true);
          // Held until settle() lets it go, or the worker ends.
          return new Promise<void>((release) => (entry.release = release));
        })
        .catch(() => resolve(false)); // aborted: the page closed the database while waiting
    });
  }
}
