// The example app (examples/notes: Kysely, migrations and a live query) in two tabs of Chromium
// on the real OPFS: a note added, edited or deleted in one tab shows in the other.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { startSession } from "./harness.mjs";

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
    assert.equal(version, 2);
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
