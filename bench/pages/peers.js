// The libraries' side of bench/peers-main.mjs: round trips and rows into main-thread objects
// through each library's own main-thread API, and the path from import to a first query result.

/** web-sqlite's Promise API over a fresh database of the given storage. */
async function webSqlite(storage) {
  const { open, deleteDatabase } = await import("../../js/dist/web/index.js");
  const name = `bench-${Math.random()}${storage === "memory" ? "" : ".db"}`;
  const db = await open(name, { storage });
  return {
    exec: (sql) => db.exec(sql),
    rows: (sql) => db.query(sql),
    /** A point query by primary key: one prepared statement, get([id]) per call. */
    pointQuery: async () => {
      const stmt = await db.prepare("SELECT v FROM p WHERE id = ?");
      return (id) => stmt.get([id]);
    },
    close: async () => {
      await db.close();
      if (storage !== "memory") await deleteDatabase(name);
    },
  };
}

/** The official build's main-thread API (its promiser over its worker), on :memory:. */
async function officialPromiser() {
  const { sqlite3Worker1Promiser } =
    await import("../../node_modules/@sqlite.org/sqlite-wasm/dist/index.mjs");
  const promiser = await new Promise((resolve) => {
    const p = sqlite3Worker1Promiser({ onready: () => resolve(p) });
  });
  const { dbId } = await promiser("open", { filename: ":memory:" });
  const rows = (sql, bind) =>
    promiser("exec", { dbId, sql, bind, rowMode: "object", returnValue: "resultRows" }).then(
      (r) => r.result.resultRows,
    );
  return {
    exec: (sql) => promiser("exec", { dbId, sql }),
    rows,
    /** No statement lives across calls: each point query is an exec with bind. */
    pointQuery: async () => (id) => rows("SELECT v FROM p WHERE id = ?", [id]).then((r) => r[0]),
    close: () => promiser("close", { dbId }),
  };
}

/** The libraries with a main-thread API over a worker (wa-sqlite and sql.js have none). */
const LIBRARIES = {
  "web-sqlite (Promise API, worker)": () => webSqlite("memory"),
  "web-sqlite (Promise API, worker, OPFS)": () => webSqlite("opfs"),
  "official promiser (sqlite3Worker1Promiser, worker)": officialPromiser,
};

const POINTS = (n) =>
  "CREATE TABLE p(id INTEGER PRIMARY KEY, v TEXT);" +
  `WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ${n}) ` +
  "INSERT INTO p SELECT i, 'value ' || i FROM c";

/**
 * Sequential round trips of SELECT 1 (timed in groups of 20: a page without cross-origin
 * isolation reads the clock to 0.1 ms), and n point queries sent at once: queries per second.
 */
window.measureTrips = async (name, trips, n) => {
  const lib = await LIBRARIES[name]();
  await lib.exec(POINTS(n));
  const point = await lib.pointQuery();
  for (let i = 0; i < 200; i++) await lib.rows("SELECT 1");
  const group = 20;
  const times = [];
  for (let i = 0; i < trips; i += group) {
    const t = performance.now();
    for (let j = 0; j < group; j++) await lib.rows("SELECT 1");
    times.push((performance.now() - t) / group);
  }
  const rates = [];
  for (let r = 0; r <= 3; r++) {
    const t = performance.now();
    const rows = await Promise.all(
      Array.from({ length: n }, (_, i) => point(1 + ((i * 7919) % n))),
    );
    const ms = performance.now() - t;
    if (rows.length !== n || !rows.every((row) => row && typeof row.v === "string"))
      throw new Error(`${name}: a point query missed`);
    if (r > 0) rates.push((n / ms) * 1000); // run 0 is the warm-up
  }
  await lib.close();
  return { times, rates };
};

/**
 * web-sqlite's path to a first result: the bundles whose index.js is at url, a database in memory
 * or (storage "opfs") the default storage, options added to the open.
 */
const webSqliteCold = async (url, storage, options = {}) => {
  const { open } = await import(url);
  const db =
    storage === "memory"
      ? await open("cold", { storage: "memory", ...options })
      : await open("cold.db", options);
  await db.query("SELECT 1");
};
const INDEX = new URL("../../js/dist/web/index.js", import.meta.url).href;

/** Import to first result, each library on its usual path to a query. */
const COLD = {
  "web-sqlite (worker, OPFS)": () => webSqliteCold(INDEX, "opfs"),
  "web-sqlite (worker, memory)": () => webSqliteCold(INDEX, "memory"),
  // Parts of web-sqlite's cold start, each alone in a fresh page: loading the page's module, a
  // module worker's start (the floor of any worker), and compiling the wasm.
  "part: import index.js": () => import("../../js/dist/web/index.js"),
  "part: a module worker's first message": () =>
    new Promise((resolve) => {
      const source = "postMessage(null)";
      const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
      new Worker(url, { type: "module" }).onmessage = resolve;
    }),
  "part: compileStreaming of the wasm": () =>
    WebAssembly.compileStreaming(fetch("../../js/dist/web/web-sqlite.wasm")),
  // What the worker's share is made of: the sync API in a module worker, timed step by step there.
  "parts: the sync API in a module worker": () =>
    new Promise((resolve, reject) => {
      const sync = new URL("../../js/dist/web/sync.js", location.href);
      const source = `const t0 = performance.now();
        const { Database } = await import("${sync}");
        const t1 = performance.now();
        await Database.ready();
        const t2 = performance.now();
        const db = new Database("cold", { storage: "memory" });
        const t3 = performance.now();
        db.exec("SELECT 1");
        const t4 = performance.now();
        db.exec("SELECT 2");
        const t5 = performance.now();
        postMessage({ "import sync.js": t1 - t0, "wasm fetched, compiled, instantiated": t2 - t1,
          "open (the first statement: its PRAGMA)": t3 - t2, "SELECT 1": t4 - t3,
          "SELECT 2": t5 - t4 });`;
      const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
      const worker = new Worker(url, { type: "module" });
      worker.onmessage = (e) => resolve(e.data);
      worker.onerror = (e) => reject(new Error(e.message || "the worker did not load"));
    }),
  "web-sqlite (worker, memory; the worker compiles the wasm)": () =>
    webSqliteCold(INDEX, "memory", { wasm: "../../build/bench/web-sqlite.wasm.bin" }),
  "official (main thread, :memory:)": async () => {
    const { default: init } =
      await import("../../node_modules/@sqlite.org/sqlite-wasm/dist/index.mjs");
    const sqlite3 = await init({ print: () => {}, printErr: () => {} });
    new sqlite3.oo1.DB(":memory:").exec("SELECT 1");
  },
  "official promiser (worker, :memory:)": async () => {
    await (await officialPromiser()).rows("SELECT 1");
  },
  "wa-sqlite (main thread, :memory:)": async () => {
    const { default: factory } = await import("../../node_modules/wa-sqlite/dist/wa-sqlite.mjs");
    const SQLite = await import("../../node_modules/wa-sqlite/src/sqlite-api.js");
    const sqlite3 = SQLite.Factory(await factory());
    const db = await sqlite3.open_v2(":memory:");
    await sqlite3.exec(db, "SELECT 1");
  },
  "sql.js (main thread)": async () => {
    await new Promise((resolve, reject) => {
      const s = document.createElement("script");
      s.src = "../../node_modules/sql.js/dist/sql-wasm-browser.js";
      s.onload = resolve;
      s.onerror = reject;
      document.head.append(s);
    });
    const SQL = await window.initSqlJs({
      locateFile: (f) => `../../node_modules/sql.js/dist/${f}`,
    });
    new SQL.Database().exec("SELECT 1");
  },
};

/**
 * Times reading the rows. heap: the JS heap's growth while they arrived, garbage included (what
 * the page needed at that moment; precise memory info); retained: the growth after a full GC,
 * while the rows are still held.
 */
window.measureRead = async (name, rows, fill) => {
  const lib = await LIBRARIES[name]();
  await lib.exec(fill);
  globalThis.gc?.();
  const before = performance.memory.usedJSHeapSize;
  const t = performance.now();
  const result = await lib.rows("SELECT i, f, t, b FROM r");
  const ms = performance.now() - t;
  const heap = performance.memory.usedJSHeapSize - before;
  globalThis.gc?.();
  const retained = performance.memory.usedJSHeapSize - before;
  if (result.length !== rows || typeof result[0].t !== "string")
    throw new Error(`${name}: bad rows`);
  await lib.close();
  return { ms, heap, retained };
};

/** ms from import to first result; parts: what a "parts:" entry timed inside, by name. */
window.measureCold = async (name) => {
  const start = performance.now();
  const parts = await COLD[name]();
  return { ms: performance.now() - start, parts: name.startsWith("parts:") ? parts : null };
};

/** web-sqlite's cold start from the bundles at url (bench/cold-ab.mjs compares two builds). */
window.measureColdOf = async (url, storage) => {
  const start = performance.now();
  await webSqliteCold(url, storage);
  return performance.now() - start;
};
