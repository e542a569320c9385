// The example app (examples/notes: Kysely, migrations and a live query) in two tabs of Chromium
// on the real OPFS: a note added, edited or deleted in one tab shows in the other.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import pg from "pg";

import { createSyncServer } from "../js/dist/src/server/index.js";
import { freshProfile, launch, removeProfile, startSession } from "./harness.mjs";
import { startPostgres } from "./postgres.mjs";
import { serve } from "./server.mjs";

const session = await startSession({ port: 8815 });
let first;
let second;

/** Waits until the page's list of notes is texts (generous: it is a commit and a query away). */
async function shows(page, texts) {
  await page.waitForFunction(
    (expected) =>
      JSON.stringify([...document.querySelectorAll("#notes textarea")].map((t) => t.value)) ===
      JSON.stringify(expected),
    texts,
    { timeout: 60000 }, // generous: a commit and a query away, on a machine that may be busy
  );
}

describe("the notes example in two tabs", () => {
  before(async () => {
    first = await session.context.newPage();
    second = await session.context.newPage();
    for (const page of [first, second]) {
      await page.goto(`${session.server.url}/examples/notes/`);
      await page.waitForFunction(() => document.body.dataset.ready === "true");
    }
  });

  after(() => session.close());

  it("starts with no notes, the schema migrated once", async () => {
    await shows(first, []);
    await shows(second, []);
    const version = await first.evaluate(async () => {
      const { open } = await import("/js/dist/web/index.js");
      const db = await open("notes.db");
      const [{ user_version }] = await db.query("PRAGMA user_version");
      await db.close();
      return user_version;
    });
    assert.equal(version, 3);
  });

  it("shows a note added in one tab in the other", async () => {
    await first.fill("#add input", "buy milk");
    await first.click("#add button");
    await shows(second, ["buy milk"]);
    await shows(first, ["buy milk"]);
  });

  it("shows an edit and a deletion made in the other tab", async () => {
    await second.fill("#notes textarea", "buy oat milk");
    await second.locator("#notes textarea").dispatchEvent("change");
    await shows(first, ["buy oat milk"]);
    await first.fill("#add input", "call Ada");
    await first.click("#add button");
    await shows(second, ["call Ada", "buy oat milk"]);
    await second.locator("#notes li", { hasText: "" }).last().locator("button").click();
    await shows(first, ["call Ada"]);
  });

  it("keeps the notes across a reload", async () => {
    await second.reload();
    await second.waitForFunction(() => document.body.dataset.ready === "true");
    await shows(second, ["call Ada"]);
  });
});

// The notes example as make demo serves it: syncing with PostgreSQL through the sync server
// mounted at /sync/, in two browser profiles (two devices).
describe("the notes example syncing with PostgreSQL in two browser profiles", () => {
  let postgres;
  let sync;
  let web;
  const profiles = [];
  const contexts = [];
  const pages = [];

  before(async () => {
    postgres = await startPostgres();
    const sql = new pg.Client({ connectionString: postgres.url });
    await sql.connect();
    await sql.query(
      "CREATE TABLE notes (id text PRIMARY KEY, body text NOT NULL, updated_at bigint NOT NULL DEFAULT 0)",
    );
    await sql.end();
    sync = await createSyncServer({ postgres: postgres.url, tables: ["notes"] });
    web = await serve({ port: 8821, routes: { "/sync/": sync.handler } });
    for (let i = 0; i < 2; i++) {
      profiles.push(freshProfile());
      contexts.push(await launch(profiles[i]));
      const page = await contexts[i].newPage();
      await page.goto(`${web.url}/examples/notes/?sync=/sync`);
      await page.waitForFunction(() => document.body.dataset.ready === "true");
      pages.push(page);
    }
  });

  after(async () => {
    for (const c of contexts) await c.close();
    for (const p of profiles) removeProfile(p);
    await web?.close();
    await sync?.close();
    await postgres?.stop();
  });

  it("a note added on one device shows on the other, and an edit comes back", async () => {
    const [laptop, phone] = pages;
    await laptop.fill("#add input", "written on the laptop");
    await laptop.click("#add button");
    await shows(phone, ["written on the laptop"]);
    await phone.fill("#notes textarea", "edited on the phone");
    await phone.locator("#notes textarea").dispatchEvent("change");
    await shows(laptop, ["edited on the phone"]);
    await laptop.waitForFunction(() =>
      /sync with PostgreSQL: online/.test(document.body.textContent),
    );
  });
});
