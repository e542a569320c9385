/**
 * The stores of one thread (OPFS and IndexedDB in a browser's worker, files in Node), behind
 * one host-file seam for its runtime, and the choice of the store that keeps databases opened
 * without a storage option.
 */
import { WebSqliteError, storageUnavailable } from "../errors.js";
import type { HostFileSystem } from "./host.js";
import type { DatabaseStore, StoreOptions } from "./store.js";
import { PERSISTENT, type PersistentStorageOf } from "./storages.js";

/** A host handle carries its store's index in its high bits (a store's own handles are small). */
const STORE_SHIFT = 24;
const HANDLE_MASK = (1 << STORE_SHIFT) - 1;

/** The store of databases opened without a storage option, or why there is none. */
export type Choice = DatabaseStore | string;

/** One host over several stores: a file goes to the store that acquired it. */
function hostOver(stores: DatabaseStore[]): HostFileSystem {
  if (stores.length === 1) return stores[0].host;
  const of = (h: number) => stores[h >>> STORE_SHIFT].host;
  const own = (h: number) => h & HANDLE_MASK;
  const holder = (path: string) => stores.findIndex((s) => s.holds(path));
  return {
    open: (path, flags) => {
      const i = holder(path);
      if (i < 0) return stores[0].host.open(path, flags); // fails as a file not acquired does
      const h = stores[i].host.open(path, flags);
      return h < 0 ? h : (i << STORE_SHIFT) | h;
    },
    close: (h) => of(h).close(own(h)),
    read: (h, dest, offset) => of(h).read(own(h), dest, offset),
    write: (h, src, offset) => of(h).write(own(h), src, offset),
    truncate: (h, size) => of(h).truncate(own(h), size),
    sync: (h, flags) => of(h).sync(own(h), flags),
    size: (h) => of(h).size(own(h)),
    delete: (path, syncDirectory) =>
      stores[Math.max(0, holder(path))].host.delete(path, syncDirectory),
    access: (path, flags) => stores[Math.max(0, holder(path))].host.access(path, flags),
  };
}

/** How a platform makes the store of a storage (platform.ts, platform.browser.ts: STORES). */
export interface StoreMaker {
  /** What this thread lacks for the storage (then it has no store of it), or null. */
  missing(): string | null;
  make(options: StoreOptions): DatabaseStore;
  /**
   * Whether a database opened without a storage option may go here (default true); the store
   * is then the default if its unusable() says null.
   */
  byDefault?(): boolean;
}

/** A platform's table of makers: one for each of its persistent storages (STORAGE_KINDS). */
export type StoreMakers<P extends "browser" | "node"> = {
  readonly [K in PersistentStorageOf<P>]: StoreMaker;
};

/**
 * The stores of this thread, made from a platform's table: one for each storage available here.
 * The default store is the first, in STORAGE_KINDS's order, that may be and is usable; where
 * there is none, the reasons of each.
 */
export function storesFrom(
  makers: Partial<Record<string, StoreMaker>>,
  options: StoreOptions = {},
): Stores {
  const reasons: string[] = [];
  const stores: { store: DatabaseStore; byDefault: boolean }[] = [];
  for (const kind of PERSISTENT) {
    const maker = makers[kind];
    if (!maker) continue;
    const missing = maker.missing();
    if (missing !== null) reasons.push(missing);
    else stores.push({ store: maker.make(options), byDefault: maker.byDefault?.() ?? true });
  }
  return new Stores(
    stores.map((s) => s.store),
    async () => {
      for (const { store, byDefault } of stores) {
        if (!byDefault) continue;
        const why = (await store.unusable?.()) ?? null;
        if (why === null) return store;
        reasons.push(why);
      }
      return reasons.join("; and ") || "no storage keeps databases here";
    },
  );
}

export class Stores {
  readonly host: HostFileSystem;
  private readonly stores: DatabaseStore[];
  private readonly choose: () => Choice | Promise<Choice>;
  private choice: Promise<Choice> | null = null;
  private chosen: Choice | null = null;

  /** @param choose picks the store of databases opened without a storage option (once). */
  constructor(stores: DatabaseStore[], choose: () => Choice | Promise<Choice>) {
    this.stores = stores;
    this.choose = choose;
    this.host = hostOver(stores);
  }

  /** The store of a storage; UNSUPPORTED when this thread has none. */
  get(kind: string): DatabaseStore {
    const store = this.stores.find((s) => s.kind === kind);
    if (!store)
      throw storageUnavailable(
        kind,
        this.stores.map((s) => s.kind),
      );
    return store;
  }

  /** The store of databases opened without a storage option, or why there is none. */
  preferred(): Promise<Choice> {
    this.choice ??= Promise.resolve()
      .then(this.choose)
      .catch((e: unknown) => `${(e as Error)?.message ?? e}`)
      .then((c) => (this.chosen = c));
    return this.choice;
  }

  /** preferred(), if it was chosen already. */
  preferredNow(): Choice | null {
    return this.chosen;
  }

  /** The store of storage, or (undefined) the preferred one: UNSUPPORTED says what is missing. */
  async of(storage: string | null | undefined): Promise<DatabaseStore> {
    if (storage) return this.get(storage);
    const choice = await this.preferred();
    if (typeof choice === "string") {
      throw new WebSqliteError(
        "UNSUPPORTED",
        `no persistent storage here: ${choice}. Pass { storage: "memory" } for a database ` +
          "that lives in memory, gone when the worker ends.",
      );
    }
    return choice;
  }

  /** Acquires name in store; a name is open in one store of a thread at a time. */
  async acquire(store: DatabaseStore, name: string, options?: { create?: boolean }): Promise<void> {
    const other = this.stores.find((s) => s !== store && s.isAcquired(name));
    if (other) {
      throw new WebSqliteError(
        "DATABASE_OPEN",
        `'${name}' is open in storage "${other.kind}" here; a name is open in one storage of a ` +
          `worker at a time: close it there before opening it in "${store.kind}"`,
      );
    }
    await store.acquire(name, options);
  }

  /** Whether a database of name is open in any store. */
  isAcquired(name: string): boolean {
    return this.stores.some((s) => s.isAcquired(name));
  }

  /**
   * After a request: what a durable commit waits for (see DatabaseStore.settle), or null; with
   * all, what every change made so far waits for.
   */
  settle(all = false): Promise<unknown> | null {
    let waits: Promise<void>[] | null = null;
    for (const store of this.stores) {
      const wait = store.settle?.(all);
      if (wait) (waits ??= []).push(wait);
    }
    return waits && (waits.length === 1 ? waits[0] : Promise.all(waits));
  }
}
