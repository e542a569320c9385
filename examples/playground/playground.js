// The playground: a SQL editor over web-sqlite, with the databases in OPFS and per-query timings.
import {
  deleteDatabase,
  importDatabase,
  listDatabases,
  open,
  selfTest,
  SQLITE_VERSION,
} from "../../js/dist/web/index.js";

const $ = (id) => document.getElementById(id);
const SAMPLE = `CREATE TABLE IF NOT EXISTS notes(id INTEGER PRIMARY KEY, body TEXT, at TEXT DEFAULT CURRENT_TIMESTAMP);
INSERT INTO notes(body) VALUES ('hello from web-sqlite');
SELECT * FROM notes ORDER BY id DESC LIMIT 100;`;

let db = null;

function show(error) {
  $("error").textContent = error ? `${error.name} ${error.code ?? ""}: ${error.message}` : "";
}

function cell(value) {
  const td = document.createElement("td");
  if (value === null) {
    td.className = "null";
    td.textContent = "NULL";
  } else if (value instanceof Uint8Array) {
    td.textContent = `x'${[...value.subarray(0, 32)].map((b) => b.toString(16).padStart(2, "0")).join("")}${value.length > 32 ? "…" : ""}'`;
  } else {
    td.textContent = String(value);
  }
  return td;
}

function renderTable({ columns, rows }) {
  const results = $("results");
  results.replaceChildren();
  if (columns.length === 0) return;
  const table = document.createElement("table");
  const head = table.createTHead().insertRow();
  for (const c of columns) {
    const th = document.createElement("th");
    th.textContent = c;
    head.append(th);
  }
  const body = table.createTBody();
  for (const row of rows.slice(0, 1000)) body.insertRow().append(...row.map(cell));
  results.append(table);
}

async function showStats() {
  const table = $("stats");
  table.replaceChildren();
  if (!db) return;
  const stats = await db.stats();
  const head = table.createTHead().insertRow();
  const body = table.createTBody().insertRow();
  for (const [key, value] of Object.entries(stats)) {
    const th = document.createElement("th");
    th.textContent = key;
    head.append(th);
    body.append(cell(key.endsWith("Ms") ? Number(value.toFixed(2)) : value));
  }
}

async function runSelfTest() {
  const list = $("self-test-report");
  list.replaceChildren();
  const report = await selfTest("opfs");
  for (const step of report.steps) {
    const li = document.createElement("li");
    li.textContent = `${step.ok ? "ok" : "FAILED"} ${step.step} (${step.ms.toFixed(2)} ms): ${step.detail}`;
    list.append(li);
  }
}

function timing(text) {
  const li = document.createElement("li");
  li.textContent = text;
  $("timings").prepend(li);
}

async function refreshList() {
  const list = $("databases");
  list.replaceChildren();
  for (const name of await listDatabases()) {
    const li = document.createElement("li");
    if (db && db.name === name) li.className = "current";
    const label = document.createElement("span");
    label.textContent = name;
    const use = button("Open", () => useDatabase(name));
    const exp = button("Export", () => exportDatabase(name));
    const del = button("Delete", () => removeDatabase(name));
    li.append(label, use, exp, del);
    list.append(li);
  }
}

function button(text, action) {
  const b = document.createElement("button");
  b.textContent = text;
  b.addEventListener("click", () => action().catch(show));
  return b;
}

async function useDatabase(name) {
  show(null);
  if (db) await db.close();
  db = null;
  const started = performance.now();
  db = await open(name);
  timing(`open ${name}: ${(performance.now() - started).toFixed(1)} ms`);
  $("current").textContent = `database: ${name}`;
  await refreshList();
}

async function exportDatabase(name) {
  const handle = db && db.name === name ? db : await open(name);
  try {
    const bytes = await handle.export();
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([bytes], { type: "application/vnd.sqlite3" }));
    link.download = name;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  } finally {
    if (handle !== db) await handle.close();
  }
}

async function removeDatabase(name) {
  if (db && db.name === name) {
    await db.close();
    db = null;
    $("current").textContent = "";
  }
  await deleteDatabase(name);
  await refreshList();
}

async function run() {
  if (!db) await useDatabase($("db-name").value);
  show(null);
  const sql = $("sql").value;
  const started = performance.now();
  try {
    const result = await db.queryArrays(sql);
    const ms = performance.now() - started;
    renderTable(result);
    timing(
      `${ms.toFixed(2)} ms, ${result.rows.length} rows: ${sql.replace(/\s+/g, " ").slice(0, 80)}`,
    );
  } catch (e) {
    show(e);
  }
  await refreshList();
  await showStats();
}

$("sql").value = SAMPLE;
$("self-test").addEventListener("click", () => runSelfTest().catch(show));
$("run").addEventListener("click", run);
$("sql").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
    e.preventDefault();
    run();
  }
});
$("open-form").addEventListener("submit", (e) => {
  e.preventDefault();
  useDatabase($("db-name").value).catch(show);
});
$("import-file").addEventListener("change", async (e) => {
  const file = e.target.files[0];
  if (!file) return;
  try {
    if (db && db.name === file.name) {
      await db.close();
      db = null;
    }
    const started = performance.now();
    const { bytes } = await importDatabase(file.name, file.stream());
    timing(`import ${file.name}: ${bytes} bytes in ${(performance.now() - started).toFixed(1)} ms`);
    await useDatabase(file.name);
  } catch (error) {
    show(error);
  }
  e.target.value = "";
});

useDatabase($("db-name").value)
  .then(() => ($("status").textContent = `SQLite ${SQLITE_VERSION}, OPFS, no special headers`))
  .catch((e) => {
    $("status").textContent = "failed to start";
    show(e);
  });
