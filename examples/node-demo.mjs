// What `make demo` runs: the Promise API in Node. A worker thread runs SQLite compiled to
// WebAssembly; the database is an ordinary file, demo.db, in build/.
import * as fs from "node:fs";

import { open } from "../js/dist/src/index.js";

fs.mkdirSync("build", { recursive: true });
const file = "build/demo.db";
fs.rmSync(file, { force: true });

// SQLite also logs each failed statement; this demo shows the errors themselves instead.
const db = await open(file, { log: () => {} });
console.log(`SQLite ${db.sqliteVersion} (wasm, in a worker thread), database file ${db.path}\n`);

await db.exec(`
  CREATE TABLE books(id INTEGER PRIMARY KEY, title TEXT NOT NULL, author TEXT, year INTEGER, cover BLOB);
  CREATE INDEX books_year ON books(year);
`);
const insert = await db.prepare(
  "INSERT INTO books(title, author, year, cover) VALUES (:title, :author, :year, :cover)",
);
const books = [
  ["The Art of Computer Programming", "Donald Knuth", 1968],
  ["Structure and Interpretation of Computer Programs", "Abelson, Sussman", 1985],
  ["Transaction Processing", "Gray, Reuter", 1992],
  ["Designing Data-Intensive Applications", "Martin Kleppmann", 2017],
];
await db.exec("BEGIN");
for (const [title, author, year] of books) {
  await insert.run({ title, author, year, cover: new TextEncoder().encode(title.slice(0, 4)) });
}
await db.exec("COMMIT");
await insert.finalize();

const rows = await db.query(
  "SELECT id, title, author, year, length(cover) AS cover_bytes FROM books WHERE year >= ? ORDER BY year",
  [1980],
);
console.table(rows);

const started = performance.now();
const big = 100_000;
await db.exec(`
  CREATE TABLE numbers(n INTEGER PRIMARY KEY, square INTEGER, name TEXT);
  WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < ${big})
  INSERT INTO numbers SELECT n, n * n, 'number ' || n FROM s;
`);
const [{ total }] = await db.query("SELECT sum(square) AS total FROM numbers");
console.log(
  `\n${big.toLocaleString("en-US")} rows inserted and summed in ${(performance.now() - started).toFixed(0)} ms: sum of squares = ${total}`,
);

try {
  await db.exec("INSERT INTO books(id, title) VALUES (1, 'duplicate')");
} catch (e) {
  console.log(`\nA constraint violation is a typed error: ${e.name} ${e.code}: ${e.message}`);
}

await db.close();
console.log(
  `\n${file}: ${fs.statSync(file).size.toLocaleString("en-US")} bytes, a regular SQLite file.`,
);
