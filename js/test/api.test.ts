// The Promise API in Node: the shared suite (suites/promise-api.ts, also run in Chromium on OPFS
// by e2e/promise-api.test.mjs), and what only Node has: files in the working directory, the
// names the OS refuses, another process.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import * as fs from "node:fs";
import { after, describe, it } from "node:test";

import * as wsq from "../src/index.js";
import { tempDir } from "./helpers.js";
import { cases } from "./suites/promise-api.js";

const { importDatabase, listDatabases, open, selfTest, shutdown } = wsq;

// Database names are paths relative to the working directory: work in a directory of our own
// (before the worker starts, so it sees it too).
const dir = tempDir();
process.chdir(dir);

const code = (e: unknown) => (e as wsq.WebSqliteError).code;

describe("the Promise API in Node (files)", () => {
  after(() => {
    shutdown();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const [name, run] of cases) {
    it(name, () => run({ wsq, storage: "file", name: (base) => base }));
  }

  it("lists only SQLite files, and leaves no scratch file behind", async () => {
    const db = await open("listed.db");
    await db.exec("CREATE TABLE t(v)");
    const bytes = await db.export();
    await db.close();
    fs.writeFileSync("notes.txt", "not a database");
    await importDatabase("imported.db", bytes);
    await assert.rejects(importDatabase("imported.db", new Uint8Array(10)));
    await selfTest();
    const listed = await listDatabases();
    assert.ok(listed.includes("listed.db") && listed.includes("imported.db"));
    assert.ok(!listed.includes("notes.txt"), "only SQLite files are listed");
    assert.ok(!fs.readdirSync(".").some((f) => f.startsWith(".wsq-")), "no scratch left");
  });

  it("removes the scratch file of an import that was killed, and keeps a live one", async () => {
    // Another process imports an endless stream of pages and is killed halfway.
    const index = new URL("../src/index.js", import.meta.url).href;
    fs.writeFileSync(
      "killed-import.mjs",
      `import { importDatabase } from ${JSON.stringify(index)};
       const page = new Uint8Array(65536);
       page.set(new TextEncoder().encode("SQLite format 3\\0"));
       await importDatabase("killed.db", new ReadableStream({ pull: (c) => c.enqueue(page.slice()) }));`,
    );
    const child = spawn(process.execPath, ["killed-import.mjs"], { stdio: "ignore" });
    const scratch = () => fs.readdirSync(".").filter((f) => f.startsWith(".wsq-import-"));
    const giveUp = Date.now() + 120_000;
    while (!scratch().some((f) => fs.statSync(f).size > 1 << 20)) {
      assert.ok(Date.now() < giveUp, "the import in the other process never got going");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    child.kill("SIGKILL");
    await once(child, "exit");
    assert.equal(scratch().length, 1, "the killed import left its scratch file");
    // A scratch file of a process that is alive (the test runner's parent, or this one, whose
    // other threads may be importing) is someone's import.
    const live = [`.wsq-import-${process.ppid}-live.db`, `.wsq-import-${process.pid}-thread.db`];
    for (const file of live) fs.writeFileSync(file, "in progress");
    assert.ok(!(await listDatabases()).includes("killed.db"));
    assert.deepEqual(scratch().sort(), live.sort(), "the dead import's scratch is gone");
    for (const file of live) fs.rmSync(file);
    // Sweeping a directory that does not exist is nothing to do.
    assert.equal(await wsq.deleteDatabase("no-such-dir/x.db"), false);
    await assert.rejects(open(".wsq-import-1-x.db"), (e) => code(e) === "INVALID_NAME");
  });

  it("refuses names the OS refuses, and OPFS storage, creating nothing", async () => {
    const long = "n".repeat(300) + ".db";
    await assert.rejects(open(long), (e) => code(e) === "SQLITE_CANTOPEN");
    await assert.rejects(open("x\0y.db"), (e) => code(e) === "INVALID_NAME");
    await assert.rejects(open("x.db", { storage: "opfs" }), (e) => code(e) === "UNSUPPORTED");
    assert.ok(!fs.readdirSync(".").some((f) => f.startsWith("nnnn") || f.startsWith("x")));
  });
});
