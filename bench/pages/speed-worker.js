// Runs the speed suite in a worker, for one contestant: an untimed warm-up pass (a fifth of the
// size, on its own database), then the timed pass on a fresh database, one script per test as
// the libraries' own demos do. Module worker for web-sqlite, the official build and wa-sqlite;
// the classic worker (speed-worker-classic.js) loads sql.js and calls run() the same way.
const params = new URLSearchParams(location.search);
const contestant = params.get("contestant");
const scale = Number(params.get("scale") ?? 1);
const tag = `${Date.now()}`;
// Another build of the wasm (speed.mjs WASMS): the contestant's name ends with its variant.
const wasm = params.get("wasm") ?? undefined;

/** Each contestant opens a database and gives back exec(sql) and close(). */
const contestants = {
  async "web-sqlite opfs"(name, durability = "full", key = undefined) {
    const { Database } = await import("../../js/dist/web/sync.js");
    const db = await Database.open(`${name}.db`, { storage: "opfs", durability, key, wasm });
    return { exec: (sql) => db.exec(sql), close: () => db.closeAsync() };
  },
  "web-sqlite opfs relaxed": (name) => contestants["web-sqlite opfs"](name, "relaxed"),
  // Encrypted (docs/API.md, "Encryption"): the encryption build, a passphrase.
  "web-sqlite opfs key": (name) => contestants["web-sqlite opfs"](name, "full", "bench passphrase"),
  // The rollback journal instead of WAL (the default before WAL), for the comparison.
  async "web-sqlite opfs truncate"(name) {
    const db = await contestants["web-sqlite opfs"](name);
    db.exec("PRAGMA journal_mode = TRUNCATE");
    return db;
  },
  // IndexedDB, each test waiting until IndexedDB holds its commits, as a request of the Promise
  // API does (the sync API saves after the task; flush() waits for that).
  async "web-sqlite idb"(name) {
    const { Database } = await import("../../js/dist/web/sync.js");
    const db = await Database.open(`${name}.db`, { storage: "idb", wasm });
    return {
      exec: async (sql) => {
        db.exec(sql);
        await db.flush();
      },
      close: () => db.closeAsync(),
    };
  },
  async "web-sqlite memory"(name) {
    const { Database } = await import("../../js/dist/web/sync.js");
    const db = await Database.open(name, { storage: "memory", wasm });
    return { exec: (sql) => db.exec(sql), close: () => db.close() };
  },
  ...official("opfs-sahpool", async (sqlite3, name) => {
    // The pool holds its access handles for the life of the worker: installed once.
    sahpool ??= sqlite3.installOpfsSAHPoolVfs({ name: "bench-sahpool" });
    return new (await sahpool).OpfsSAHPoolDb(`/${name}.db`);
  }),
  ...official("opfs", async (sqlite3, name) => new sqlite3.oo1.OpfsDb(`/${name}.db`)),
  ...official("memory", async (sqlite3) => new sqlite3.oo1.DB(":memory:")),
  ...waSqlite("AccessHandlePool", async () => {
    const { AccessHandlePoolVFS } =
      await import("../../node_modules/wa-sqlite/src/examples/AccessHandlePoolVFS.js");
    const vfs = new AccessHandlePoolVFS("/wa-bench");
    await vfs.isReady;
    return vfs;
  }),
  ...waSqlite("memory", async () => null),
  // wa-sqlite's IndexedDB VFS needs its Asyncify build; "strict": a commit is durable when it
  // returns, as web-sqlite's.
  ...waSqlite(
    "IDBBatchAtomic",
    async () => {
      const { IDBBatchAtomicVFS } =
        await import("../../node_modules/wa-sqlite/src/examples/IDBBatchAtomicVFS.js");
      return new IDBBatchAtomicVFS("wa-bench-idb", { durability: "strict" });
    },
    "wa-sqlite-async",
  ),
};

let officialModule = null;
let sahpool = null;

/** The official build, through oo1's exec() and through capi.sqlite3_exec. */
function official(kind, openDb) {
  const open = async (name) => {
    officialModule ??= import("../../node_modules/@sqlite.org/sqlite-wasm/dist/index.mjs").then(
      ({ default: init }) => init({ print: () => {}, printErr: () => {} }),
    );
    const sqlite3 = await officialModule;
    return { sqlite3, db: await openDb(sqlite3, name) };
  };
  return {
    async [`official ${kind} exec()`](name) {
      const { db } = await open(name);
      return { exec: (sql) => db.exec(sql), close: () => db.close() };
    },
    async [`official ${kind} sqlite3_exec`](name) {
      const { sqlite3, db } = await open(name);
      return {
        exec: (sql) => {
          const rc = sqlite3.capi.sqlite3_exec(db.pointer, sql, 0, 0, 0);
          if (rc !== 0) throw new Error(`sqlite3_exec: ${sqlite3.capi.sqlite3_errmsg(db.pointer)}`);
        },
        close: () => db.close(),
      };
    },
  };
}

let waModule = null;
let waVfs = null;

/** wa-sqlite with a VFS (null: memory), on its build (dist/<build>.mjs); one per worker. */
function waSqlite(kind, makeVfs, build = "wa-sqlite") {
  return {
    async [`wa-sqlite ${kind}`](name) {
      waModule ??= (async () => {
        const { default: factory } = await import(`../../node_modules/wa-sqlite/dist/${build}.mjs`);
        const SQLite = await import("../../node_modules/wa-sqlite/src/sqlite-api.js");
        const module = await factory();
        return { module, sqlite3: SQLite.Factory(module) };
      })();
      const { module, sqlite3 } = await waModule;
      // The VFS holds its access handles for the life of the worker: registered once.
      waVfs ??= makeVfs(module).then((vfs) => {
        if (vfs) sqlite3.vfs_register(vfs, true);
        return vfs;
      });
      const vfs = await waVfs;
      const db = await sqlite3.open_v2(vfs ? `${name}.db` : ":memory:");
      return { exec: (sql) => sqlite3.exec(db, sql), close: () => sqlite3.close(db) };
    },
  };
}

/** Warm-up, then the timed pass; posts { times: [ms per test] } or { error }. */
export async function run(open, name) {
  const { speedSuite } = await import("../speed/suite.mjs");
  try {
    const warm = await open(`${name}-warm-${tag}`);
    for (const test of speedSuite(scale / 5)) await warm.exec(test.sql);
    await warm.close();
    const db = await open(`${name}-${tag}`);
    const times = [];
    for (const test of speedSuite(scale)) {
      const t = performance.now();
      await db.exec(test.sql);
      times.push(performance.now() - t);
    }
    await db.close();
    postMessage({ times });
  } catch (e) {
    postMessage({ error: `${e?.name}: ${e?.message}\n${e?.stack ?? ""}` });
  }
}

/**
 * ?commits=N: N autocommit INSERTs, each its own call (each durable when it returns, as the
 * contestant makes it so), after 20 untimed ones; posts { times: [ms per commit] }.
 */
export async function runCommits(open, name, n) {
  try {
    const db = await open(`${name}-commits-${tag}`);
    await db.exec("CREATE TABLE t(i INTEGER, pad BLOB)");
    for (let i = 0; i < 20; i++) await db.exec(`INSERT INTO t VALUES (${i}, randomblob(100))`);
    const t = performance.now();
    for (let i = 0; i < n; i++) await db.exec(`INSERT INTO t VALUES (${i}, randomblob(100))`);
    const ms = (performance.now() - t) / n;
    await db.close();
    postMessage({ times: [ms] });
  } catch (e) {
    postMessage({ error: `${e?.name}: ${e?.message}\n${e?.stack ?? ""}` });
  }
}

const base = wasm ? contestant.replace(/ [^ ]+$/, "") : contestant;
const commits = Number(params.get("commits") ?? 0);
if (contestants[base] && commits > 0) {
  runCommits(contestants[base], contestant.replace(/[^a-z0-9]+/gi, "-"), commits);
} else if (contestants[base]) {
  run(contestants[base], contestant.replace(/[^a-z0-9]+/gi, "-"));
} else if (contestant !== "sql.js memory") {
  postMessage({ error: `unknown contestant ${contestant}` });
}
