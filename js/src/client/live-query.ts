/**
 * Live queries (db.watch): a query run again after every commit that changed a table it reads,
 * in this page or, for a database shared between tabs, in any tab. Which tables it reads comes
 * from SQLite (its authorizer, while the worker prepares the query: wsq_tables_read); the commits
 * come from the database's change events (db.onChange). A burst of commits is coalesced: while
 * the query runs, any number of commits make one more run after it.
 */

export interface WatchOptions {
  /**
   * Receives what fails after the first rows: a later run of the query (a table dropped, say), or
   * a throw of the callback. Default: console.error. The first run's failure rejects watch().
   */
  onError?: (error: unknown) => void;
}

/** How a live query reaches its database. */
export interface LiveSource<T> {
  /** Runs the query once, once no transaction of this page holds the database. */
  run(): Promise<T[]>;
  /** Calls listener with the tables each commit changed; returns the function that stops it. */
  onChange(listener: (tables: string[]) => void): () => void;
  /** False once the database is closed (a run that fails then is not reported). */
  readonly isOpen: boolean;
}

export class LiveQuery<T> {
  private readonly source: LiveSource<T>;
  private readonly reads: ReadonlySet<string>;
  private readonly onRows: (rows: T[]) => void;
  private readonly onError: (error: unknown) => void;
  private running: Promise<void> | null = null;
  /** A commit came while the query ran: it runs again after. */
  private again = false;
  private stopped = false;
  private readonly unlisten: () => void;

  constructor(
    source: LiveSource<T>,
    reads: string[],
    onRows: (rows: T[]) => void,
    options: WatchOptions,
  ) {
    this.source = source;
    this.reads = new Set(reads);
    this.onRows = onRows;
    this.onError = options.onError ?? ((e) => console.error("web-sqlite: a watched query", e));
    // Listening starts before the first run: a commit during it is not missed.
    this.unlisten = source.onChange((tables) => {
      if (tables.some((t) => this.reads.has(t))) this.refresh();
    });
  }

  /** The first rows; rejects (and stops) if the first run fails. */
  async start(): Promise<void> {
    const first = this.source.run().then((rows) => this.deliver(rows));
    // Commits during the first run make one more run after it.
    this.running = first
      .then(
        () => this.loop(),
        () => {},
      )
      .finally(() => (this.running = null));
    try {
      await first;
    } catch (e) {
      this.stop();
      throw e;
    }
  }

  stop(): void {
    this.stopped = true;
    this.unlisten();
  }

  private deliver(rows: T[]): void {
    if (this.stopped || !this.source.isOpen) return;
    try {
      this.onRows(rows);
    } catch (e) {
      this.onError(e);
    }
  }

  /** Runs the query again, or once more after the run under way. */
  private refresh(): void {
    if (this.stopped) return;
    this.again = true;
    this.running ??= this.loop().finally(() => (this.running = null));
  }

  private async loop(): Promise<void> {
    try {
      while (this.again && !this.stopped) {
        this.again = false;
        this.deliver(await this.source.run());
      }
    } catch (e) {
      if (!this.stopped && this.source.isOpen) this.onError(e);
    }
  }
}
