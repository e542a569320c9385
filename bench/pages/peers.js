// The libraries' side of bench/peers-main.mjs: reading rows into main-thread objects through
// each library's own main-thread API, and the path from import to a first query result.

/** Each reader loads its library, fills a memory database, and reads it as row objects. */
const READERS = {
  "web-sqlite (Promise API, worker)": async (rows, fill) => {
    const { open } = await import("../../js/dist/web/index.js");
    const db = await open(`rows-${rows}-${Math.random()}`, { storage: "memory" });
    await db.exec(fill);
    return { read: () => db.query("SELECT i, f, t, b FROM r"), close: () => db.close() };
  },
  "official promiser (sqlite3Worker1Promiser, worker)": async (rows, fill) => {
    const { sqlite3Worker1Promiser } =
      await import("../../node_modules/@sqlite.org/sqlite-wasm/dist/index.mjs");
    const promiser = await new Promise((resolve) => {
      const p = sqlite3Worker1Promiser({ onready: () => resolve(p) });
    });
    const { dbId } = await promiser("open", { filename: ":memory:" });
    await promiser("exec", { dbId, sql: fill });
    return {
      read: async () =>
        (
          await promiser("exec", {
            dbId,
            sql: "SELECT i, f, t, b FROM r",
            rowMode: "object",
            returnValue: "resultRows",
          })
        ).result.resultRows,
      close: () => promiser("close", { dbId }),
    };
  },
};

/** Import to first result, each library on its usual path to a query. */
const COLD = {
  "web-sqlite (worker, OPFS)": async () => {
    const { open } = await import("../../js/dist/web/index.js");
    const db = await open("cold.db");
    await db.query("SELECT 1");
  },
  "web-sqlite (worker, memory)": async () => {
    const { open } = await import("../../js/dist/web/index.js");
    const db = await open("cold", { storage: "memory" });
    await db.query("SELECT 1");
  },
  "official (main thread, :memory:)": async () => {
    const { default: init } =
      await import("../../node_modules/@sqlite.org/sqlite-wasm/dist/index.mjs");
    const sqlite3 = await init({ print: () => {}, printErr: () => {} });
    new sqlite3.oo1.DB(":memory:").exec("SELECT 1");
  },
  "official promiser (worker, :memory:)": async () => {
    const { sqlite3Worker1Promiser } =
      await import("../../node_modules/@sqlite.org/sqlite-wasm/dist/index.mjs");
    const promiser = await new Promise((resolve) => {
      const p = sqlite3Worker1Promiser({ onready: () => resolve(p) });
    });
    const { dbId } = await promiser("open", { filename: ":memory:" });
    await promiser("exec", { dbId, sql: "SELECT 1" });
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
  const lib = await READERS[name](rows, fill);
  globalThis.gc?.();
  const before = performance.memory.usedJSHeapSize;
  const t = performance.now();
  const result = await lib.read();
  const ms = performance.now() - t;
  const heap = performance.memory.usedJSHeapSize - before;
  globalThis.gc?.();
  const retained = performance.memory.usedJSHeapSize - before;
  if (result.length !== rows || typeof result[0].t !== "string")
    throw new Error(`${name}: bad rows`);
  await lib.close();
  return { ms, heap, retained };
};

window.measureCold = async (name) => {
  const start = performance.now();
  await COLD[name]();
  return performance.now() - start;
};
