// A browser and a Node server exchange changesets: what a page records in Chromium (OPFS) a
// Node process applies with web-sqlite on a file, and what the server recorded while applying
// it (its own changes besides) goes back and applies in the page. One format everywhere.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";

import * as server from "../js/dist/src/index.js";
import { startSession, testPage } from "./harness.mjs";

const session = await startSession({ port: 8817 });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wsq-changesets-"));

const SCHEMA =
  "CREATE TABLE IF NOT EXISTS todos(id INTEGER PRIMARY KEY, title TEXT NOT NULL, done INTEGER NOT NULL DEFAULT 0);" +
  "CREATE TABLE IF NOT EXISTS audit(line TEXT)";

describe("changesets between a browser and a Node server", () => {
  after(async () => {
    server.shutdown();
    await session.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("applies a page's changes on the server and the server's answer in the page", async () => {
    const page = await testPage(session.context, session.server.url);
    // The page: work recorded as a changeset (bytes, as a fetch() body would carry them).
    const recorded = await page.evaluate(async (schema) => {
      window.db = await window.wsq.open("client.db");
      await window.db.exec(schema);
      const { changeset } = await window.db.recordChanges(async (tx) => {
        await tx.exec("INSERT INTO todos(id, title) VALUES (1, 'write tests'), (2, 'ship')");
        await tx.exec("UPDATE todos SET done = 1 WHERE id = 1");
      });
      return [...changeset];
    }, SCHEMA);

    // The server: applies it, and records what it did (the client's changes and its own).
    const db = await server.open(path.join(dir, "server.db"));
    await db.exec(SCHEMA);
    const { result, changeset: answer } = await db.recordChanges(async (tx) => {
      const applied = await tx.applyChangeset(new Uint8Array(recorded));
      await tx.exec("INSERT INTO audit VALUES ('synced 2 todos')");
      await tx.exec("UPDATE todos SET title = upper(title) WHERE id = 2");
      return applied;
    });
    assert.deepEqual(result, { conflicts: 0 });
    assert.deepEqual(await db.query("SELECT * FROM todos ORDER BY id"), [
      { id: 1, title: "write tests", done: 1 },
      { id: 2, title: "SHIP", done: 0 },
    ]);

    // Back in the page: the server's changeset applies over what the page has (its own rows
    // come back as they are there, except what the server changed: "replace").
    const after = await page.evaluate(
      async (answer) => {
        const applied = await window.db.applyChangeset(new Uint8Array(answer), {
          onConflict: "replace",
        });
        return {
          applied,
          todos: await window.db.query("SELECT * FROM todos ORDER BY id"),
          audit: await window.db.query("SELECT line FROM audit"),
        };
      },
      [...answer],
    );
    assert.deepEqual(after.todos, await db.query("SELECT * FROM todos ORDER BY id"));
    assert.deepEqual(after.audit, [{ line: "synced 2 todos" }]);
    assert.equal(after.applied.conflicts, 2, "the page's own two rows, replaced by the server's");
    await db.close();
    await page.close();
  });
});
