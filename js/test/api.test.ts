// The Promise API in Node: the shared suite (suites/promise-api.ts, also run in Chromium on OPFS
// by e2e/promise-api.test.mjs), and what only Node has: files in the working directory, the
// names the OS refuses, another process.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import * as fs from "node:fs";
import * as http from "node:http";
import { after, describe, it } from "node:test";

import * as wsq from "../src/index.js";
import { tempDir } from "./helpers.js";
import { cases, KEYLESS, keyed } from "./suites/promise-api.js";

const { importDatabase, listDatabases, open, selfTest, shutdown } = wsq;

// Database names are paths relative to the working directory: work in a directory of our own
// (before the worker starts, so it sees it too).
const dir = tempDir();
process.chdir(dir);

const code = (e: unknown) => (e as wsq.WebSqliteError).code;

// A server that takes requests and never answers them: a wasm that never loads.
const silent = http.createServer(() => {});
await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
const neverAnswers = `http://127.0.0.1:${(silent.address() as { port: number }).port}/web-sqlite.wasm`;

describe("the Promise API in Node (files)", () => {
  after(() => {
    shutdown();
    silent.closeAllConnections();
    silent.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A database's files as they are on disk (Node reads them while it is open too). */
  const bytesAtRest = async (file: string) =>
    ["", "-wal", "-journal"]
      .map((suffix) => file + suffix)
      .filter((f) => fs.existsSync(f))
      .map((f) => new Uint8Array(fs.readFileSync(f)));

  for (const [name, run] of cases) {
    it(name, () => run({ wsq, storage: "file", name: (base) => base, neverAnswers, bytesAtRest }));
  }

  describe("the suite again, every database keyed", () => {
    const library = keyed(wsq, "a key for the whole suite");
    for (const [name, run] of cases) {
      it(name, { skip: KEYLESS.get(name) ?? false }, () =>
        run({
          wsq: library,
          storage: "file",
          name: (base) => `keyed-${base}`,
          neverAnswers,
          bytesAtRest,
        }),
      );
    }
  });

  it("keeps the WAL beside the file while it is open, and no -shm file", async () => {
    const db = await open("beside.db");
    await db.exec("CREATE TABLE t(v); INSERT INTO t VALUES (randomblob(10000))");
    assert.ok(fs.statSync("beside.db-wal").size > 10000, "the commit is in the WAL");
    assert.ok(!fs.existsSync("beside.db-shm"), "the WAL index is the worker's memory");
    assert.ok(!(await listDatabases()).some((f) => f.endsWith("-wal")), "not listed");
    // A transaction bigger than the WAL's limit grows it; the next checkpoint cuts it back.
    await db.exec(
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) " +
        "INSERT INTO t SELECT randomblob(4000) FROM n",
    );
    assert.ok(fs.statSync("beside.db-wal").size > 8_000_000, "the big transaction is in the WAL");
    for (let i = 0; i < 1100; i++) await db.exec("INSERT INTO t VALUES (1)");
    assert.ok(fs.statSync("beside.db-wal").size <= 4_194_304 + 2 * 4096 + 32, "cut back to 4 MiB");
    await db.close();
    assert.ok(!fs.existsSync("beside.db-wal"), "checkpointed and removed at close");
    assert.equal(fs.readFileSync("beside.db")[18], 2, "the file says WAL");
  });

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

  it("leaves a rekey killed at any moment with the old key or the new one, whole", async (t) => {
    // A database of about 8 MB; a process rekeys it (plain to a key, a key to another, a key to
    // plain) and is killed after a delay that grows with each trial, from before the rekey
    // starts to after it ends (in steps of a sixteenth of the time a whole rekey takes here).
    // Then it opens with exactly one of the two keys, whole.
    const seed = await open("rekey-seed.db");
    await seed.exec(
      "CREATE TABLE t(v); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n " +
        "WHERE i < 2000) INSERT INTO t SELECT randomblob(4000) FROM n",
    );
    await seed.close();
    const index = new URL("../src/index.js", import.meta.url).href;
    fs.writeFileSync(
      "rekeyer.mjs",
      `import { open } from ${JSON.stringify(index)};
       const [file, from, to] = process.argv.slice(2);
       const db = await open(file, from === "-" ? {} : { key: from });
       console.log("rekeying");
       const t = performance.now();
       await db.rekey(to === "-" ? null : to);
       console.log("done", performance.now() - t);
       await db.close();`,
    );
    const outcomes: string[] = [];
    for (const [from, to] of [
      ["-", "new"],
      ["old", "new"],
      ["old", "-"],
    ]) {
      const source = `rekey-seed-${from}.db`;
      fs.copyFileSync("rekey-seed.db", source);
      if (from !== "-") {
        const keyed = await open(source);
        await keyed.rekey(from);
        await keyed.close();
      }
      const TRIALS = 16;
      let wholeMs = 0;
      for (let trial = -1; trial < TRIALS; trial++) {
        const file = `rekey-${from}-${to}-${trial}.db`;
        fs.copyFileSync(source, file);
        const child = spawn(process.execPath, ["rekeyer.mjs", file, from, to]);
        const exited = once(child, "exit");
        let out = "";
        child.stdout.on("data", (d) => (out += d));
        const giveUp = Date.now() + 120_000;
        while (!out.includes("rekeying")) {
          assert.ok(Date.now() < giveUp, "the rekeying process never opened the database");
          assert.equal(child.exitCode, null, "the rekeying process ended before the rekey");
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
        if (trial < 0) {
          // The first run is not killed: how long a whole rekey takes on this machine.
          await exited;
          wholeMs = Number(/done (\S+)/.exec(out)?.[1]);
          assert.ok(wholeMs > 0, `the whole rekey ran: ${out}`);
          continue;
        }
        const delay = (wholeMs * 1.2 * (trial + 0.5)) / TRIALS;
        await new Promise((resolve) => setTimeout(resolve, delay));
        child.kill("SIGKILL"); // (a process that already ended is not there to kill)
        await exited;
        const opened: string[] = [];
        for (const key of [from, to]) {
          try {
            const db = await open(file, key === "-" ? {} : { key });
            assert.deepEqual(await db.query("PRAGMA integrity_check"), [{ integrity_check: "ok" }]);
            assert.deepEqual(await db.query("SELECT count(*) AS n FROM t"), [{ n: 2000 }]);
            await db.close();
            opened.push(key);
          } catch (e) {
            const expected = key === "-" ? "KEY_REQUIRED" : ["WRONG_KEY", "NOT_ENCRYPTED"];
            assert.ok([expected].flat().includes(code(e)), `${file}, key ${key}: ${String(e)}`);
          }
        }
        assert.equal(opened.length, 1, `${file} opens with one of ${from}, ${to}: ${opened}`);
        outcomes.push(`${from}->${to}: ${opened[0] === from ? "old" : "new"}`);
      }
    }
    // Which side of each rekey's commit the kills fell on depends on the machine's speed: told,
    // not asserted.
    t.diagnostic(outcomes.join(", "));
  });

  it("keeps a database file to one process; a killed holder leaves it usable", async () => {
    // Another process opens the file and commits transactions, one line per resolved commit.
    const index = new URL("../src/index.js", import.meta.url).href;
    fs.writeFileSync(
      "writer.mjs",
      `import { open } from ${JSON.stringify(index)};
       let db;
       try {
         db = await open("shared.db");
       } catch (e) {
         console.log(e.code);
         process.exit(0);
       }
       await db.exec("CREATE TABLE IF NOT EXISTS t(writer, i)");
       console.log("open");
       for (let i = 0; i < Number(process.argv[3]); i++) {
         await db.transaction(async (tx) => {
           await tx.exec("INSERT INTO t VALUES (?, ?)", [process.argv[2], i]);
           await tx.exec("INSERT INTO t VALUES (?, ?)", [process.argv[2], -i]);
         });
         console.log("committed", i);
       }
       await db.close();`,
    );
    const writer = (id: string, n: number) => {
      const child = spawn(process.execPath, ["writer.mjs", id, String(n)]);
      const lines: string[] = [];
      let buffered = "";
      child.stdout.on("data", (d: Buffer) => {
        buffered += d.toString();
        const parts = buffered.split("\n");
        buffered = parts.pop()!;
        lines.push(...parts);
      });
      return { child, lines, exited: once(child, "exit") };
    };
    const committed = (lines: string[]) => lines.filter((l) => l.startsWith("committed")).length;
    const rows = async (where = "") => {
      const db = await open("shared.db");
      try {
        assert.deepEqual(await db.query("PRAGMA integrity_check"), [{ integrity_check: "ok" }]);
        return (await db.query<{ n: number }>(`SELECT count(*) AS n FROM t ${where}`))[0].n;
      } finally {
        await db.close();
      }
    };

    // While the other process has it open, nothing here reaches the file, each with a typed error.
    const a = writer("a", 1_000_000);
    const giveUp = Date.now() + 120_000;
    while (committed(a.lines) < 10) {
      assert.ok(Date.now() < giveUp, `the writer never got going: ${a.lines.join(" ")}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const scratch = await open("bytes", { storage: "memory" });
    await scratch.exec("CREATE TABLE t(writer, i)");
    const bytes = await scratch.export();
    await scratch.close();
    const inUse = (e: unknown) =>
      code(e) === "DATABASE_IN_USE" && /another process/.test((e as Error).message);
    await assert.rejects(open("shared.db"), inUse);
    await assert.rejects(wsq.deleteDatabase("shared.db"), inUse);
    await assert.rejects(importDatabase("shared.db", bytes), inUse);
    const { Database } = await import("../src/sync.js");
    await assert.rejects(Database.open("shared.db"), inUse);
    // Killed mid-stream: every commit it reported is there, both rows of each, and the file is
    // free at once.
    a.child.kill("SIGKILL");
    await a.exited;
    const n = await rows();
    assert.ok(
      n >= 2 * committed(a.lines) && n % 2 === 0,
      `${n} rows, ${committed(a.lines)} commits`,
    );

    // Two processes started together: one has the file, the other is told so; nothing is lost.
    const pair = [writer("b", 500), writer("c", 500)];
    await Promise.all(pair.map((w) => w.exited));
    for (const w of pair) {
      assert.ok(
        committed(w.lines) === 500 || w.lines[0] === "DATABASE_IN_USE",
        `each writer commits all or is refused at open: ${w.lines.slice(0, 3).join(" ")}`,
      );
    }
    const written = pair.reduce((sum, w) => sum + committed(w.lines), 0);
    assert.equal(await rows("WHERE writer <> 'a'"), 2 * written);
  });

  it("refuses names the OS refuses, and OPFS storage, creating nothing", async () => {
    const long = "n".repeat(300) + ".db";
    await assert.rejects(open(long), (e) => code(e) === "SQLITE_CANTOPEN");
    await assert.rejects(open("x\0y.db"), (e) => code(e) === "INVALID_NAME");
    await assert.rejects(open("x.db", { storage: "opfs" }), (e) => code(e) === "UNSUPPORTED");
    assert.ok(!fs.readdirSync(".").some((f) => f.startsWith("nnnn") || f.startsWith("x")));
  });
});
