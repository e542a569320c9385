// The speed suite for sql.js, which ships as a classic script: loaded with importScripts, then
// driven by the same run() as the other contestants (bench/pages/speed-worker.js).
/* global importScripts, initSqlJs */
importScripts("../../node_modules/sql.js/dist/sql-wasm-browser.js");

(async () => {
  const { run } = await import("./speed-worker.js");
  const SQL = await initSqlJs({ locateFile: (file) => `../../node_modules/sql.js/dist/${file}` });
  await run(async () => {
    const db = new SQL.Database();
    return { exec: (sql) => db.exec(sql), close: () => db.close() };
  }, "sql-js");
})();
