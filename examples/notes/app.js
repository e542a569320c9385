// A notes app on web-sqlite: the schema by db.migrate(), queries by Kysely (web-sqlite/kysely),
// and the list by a live query (db.watch), so a note added, edited or deleted in one tab shows in
// every other tab of the site at once. Open it in two tabs. With ?sync=<url of a sync server>
// (make demo prints the link) the notes sync with PostgreSQL: open it in two browser profiles.
import { Kysely } from "kysely";
import { open } from "web-sqlite";
import { WebSqliteDialect } from "web-sqlite/kysely";

const status = document.getElementById("status");
const list = document.getElementById("notes");
const form = document.getElementById("add");

const db = await open("notes.db");
// Each release appends its steps; every tab runs this, the steps run once.
await db.migrate([
  "CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT NOT NULL)",
  { name: "updated_at", sql: "ALTER TABLE notes ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0" },
  {
    // Ids made on many devices must never collide: text UUIDs.
    name: "text ids",
    sql: `CREATE TABLE notes_new(id TEXT PRIMARY KEY, body TEXT NOT NULL, updated_at INTEGER NOT NULL DEFAULT 0);
          INSERT INTO notes_new SELECT lower(hex(randomblob(16))), body, updated_at FROM notes;
          DROP TABLE notes;
          ALTER TABLE notes_new RENAME TO notes;`,
  },
]);
let shown = []; // the rows on screen
const syncUrl = new URLSearchParams(location.search).get("sync");
const sync = syncUrl ? await db.sync({ url: syncUrl, tables: ["notes"] }) : null;
sync?.on("status", () => render(shown));
sync?.on("rejected", (e) => console.warn(e.message));
const notes = new Kysely({ dialect: new WebSqliteDialect({ database: db }) });

// The list: the rows now, and again after every commit that changes notes, in any tab.
const newestFirst = notes
  .selectFrom("notes")
  .select(["id", "body"])
  .orderBy("updated_at", "desc")
  .orderBy("id", "desc")
  .compile();
await db.watch(newestFirst.sql, newestFirst.parameters, render);

function render(rows) {
  shown = rows;
  const items = new Map([...list.children].map((li) => [li.dataset.id, li]));
  list.replaceChildren(
    ...rows.map(({ id, body }) => {
      const li = items.get(String(id)) ?? item(id);
      const text = li.querySelector("textarea");
      // The note being typed in keeps what is typed.
      if (document.activeElement !== text) text.value = body;
      return li;
    }),
  );
  const synced = sync ? `, sync with PostgreSQL: ${sync.status}` : "";
  status.textContent = `${rows.length} note${rows.length === 1 ? "" : "s"} (${db.storage}${db.shared ? ", shared by every tab" : ""}${synced})`;
  document.body.dataset.ready = "true";
}

function item(id) {
  const li = document.createElement("li");
  li.dataset.id = String(id);
  const text = document.createElement("textarea");
  text.setAttribute("aria-label", "note");
  text.addEventListener("change", () =>
    notes
      .updateTable("notes")
      .set({ body: text.value, updated_at: Date.now() })
      .where("id", "=", id)
      .execute(),
  );
  const remove = document.createElement("button");
  remove.textContent = "Delete";
  remove.addEventListener("click", () => notes.deleteFrom("notes").where("id", "=", id).execute());
  li.append(text, remove);
  return li;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const body = form.elements.body.value.trim();
  if (!body) return;
  await notes
    .insertInto("notes")
    .values({ id: crypto.randomUUID(), body, updated_at: Date.now() })
    .execute();
  form.reset();
});
