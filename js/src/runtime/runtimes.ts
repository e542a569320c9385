/**
 * The runtimes of a thread (a worker, or the thread of the synchronous API): SQLite as it is
 * (web-sqlite.wasm), and the encryption build (web-sqlite-cipher.wasm), which is loaded only when
 * a database is opened with a key or encrypted by rekey: an app that never encrypts never
 * downloads it. Both work over the thread's stores.
 *
 * A file is open in one runtime at a time: each runtime keeps its own locks and WAL index in its
 * memory, so a second connection to a file goes to the runtime where the file is open. Once the
 * encryption build is loaded, new files open in it too (it opens databases without a key as the
 * other does).
 */
import { WebSqliteError } from "../errors.js";
import type { Runtime } from "./runtime.js";

export class Runtimes {
  private readonly load: (cipher: boolean) => Promise<Runtime>;
  private readonly onDead: () => Promise<void>;
  private plain: Runtime | null = null;
  private cipher: Runtime | null = null;
  private loadingPlain: Promise<Runtime> | null = null;
  private loadingCipher: Promise<Runtime> | null = null;

  /**
   * @param load loads the encryption build (cipher) or the other
   * @param onDead called before a runtime whose instance died is replaced: what was open in it
   *   is gone
   */
  constructor(load: (cipher: boolean) => Promise<Runtime>, onDead = async () => {}) {
    this.load = load;
    this.onDead = onDead;
  }

  /** The runtimes loaded and alive. */
  loaded(): Runtime[] {
    return [this.cipher, this.plain].filter((r): r is Runtime => r !== null && !r.dead);
  }

  /**
   * Makes sure a runtime that opens what is asked is loaded: the encryption build with cipher,
   * else any (the one without encryption if none is).
   */
  async ready(cipher: boolean): Promise<Runtime> {
    if (this.plain?.dead || this.cipher?.dead) {
      await this.onDead();
      if (this.plain?.dead) this.plain = null;
      if (this.cipher?.dead) this.cipher = null;
    }
    if (cipher) {
      this.loadingCipher ??= this.load(true).finally(() => (this.loadingCipher = null));
      return (this.cipher ??= await this.loadingCipher);
    }
    const any = this.loaded()[0];
    if (any) return any;
    this.loadingPlain ??= this.load(false).finally(() => (this.loadingPlain = null));
    return (this.plain = await this.loadingPlain);
  }

  /**
   * The runtime to open file in (a connection's "vfs:path"), among those loaded (ready()): where
   * the file is open already, else the encryption build when there is a key or it is loaded,
   * else the other.
   */
  pick(file: string, key: boolean, name: string): Runtime {
    const loaded = this.loaded();
    const holder = loaded.find((r) => r.holds(file));
    if (holder) {
      if (key && !holder.hasCipher) {
        throw new WebSqliteError(
          "NOT_ENCRYPTED",
          `'${name}' is open without a key here, so it is not encrypted: open it without a ` +
            "key, and rekey(key) encrypts it",
        );
      }
      return holder;
    }
    const cipher = loaded.find((r) => r.hasCipher);
    if (cipher || key) {
      if (cipher) return cipher;
      throw new WebSqliteError(
        "NOT_LOADED",
        "an encrypted database needs web-sqlite's encryption build, which is not loaded in " +
          "this thread yet: `await Database.open(name, { key })` loads it",
      );
    }
    if (loaded.length > 0) return loaded[0];
    throw notLoaded();
  }
}

/** NOT_LOADED: a synchronous constructor ran before the thread loaded the wasm. */
export function notLoaded(): WebSqliteError {
  return new WebSqliteError(
    "NOT_LOADED",
    "web-sqlite's wasm is not loaded in this thread yet: `await Database.ready()` once first " +
      "(or use `await Database.open(...)`, which loads it)",
  );
}
