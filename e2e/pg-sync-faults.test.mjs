// Sync with PostgreSQL under faults: three devices (two Chromium profiles on OPFS, one Node
// process) write at random to the same rows while the sync server is killed (SIGKILL) and
// started again, Postgres is restarted, the Node device is killed in the middle of its uploads
// and started again on its file, and a page's sync goes offline and back. At the end every
// device's table equals Postgres's, row for row; every insert a device saw resolve is in
// Postgres; and no write was applied twice (Postgres's audit of every applied row: each write
// has a title of its own). WSQ_SYNC_SEED replays a run; WSQ_SYNC_SECONDS sets its length.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, it } from "node:test";
import pg from "pg";

import { freshProfile, launch, removeProfile } from "./harness.mjs";
import { startPostgres } from "./postgres.mjs";
import { serve } from "./server.mjs";

const SEED = Number(process.env.WSQ_SYNC_SEED ?? Math.floor(Math.random() * 1e9));
const SECONDS = Number(process.env.WSQ_SYNC_SECONDS ?? 30);
const GATEWAY_PORT = 8830;
const URL_OF_SYNC = `http://127.0.0.1:${GATEWAY_PORT}/sync`;
console.log(`sync faults: WSQ_SYNC_SEED=${SEED} WSQ_SYNC_SECONDS=${SECONDS}`);

let postgres;
let sql;
let web;
let dir;
const profiles = [];
const contexts = [];
let gatewayProcess = null;
/** The Node device's process now, for after() to stop if the test ended early. */
let deviceProcess = null;

let state = SEED >>> 0 || 1;
function random() {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) / 2 ** 32;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Lines of a child's stdout, each to onLine. */
function lines(child, onLine) {
  createInterface({ input: child.stdout }).on("line", onLine);
}

/** Starts the sync server's process; tries again while Postgres is away. */
async function startGateway() {
  for (;;) {
    const child = spawn(
      process.execPath,
      ["e2e/sync-gateway.mjs", postgres.url, String(GATEWAY_PORT), "todos"],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    const ready = await new Promise((resolve) => {
      lines(child, (line) => line === "ready" && resolve(true));
      child.once("exit", () => resolve(false));
    });
    if (ready) {
      gatewayProcess = child;
      return;
    }
    await sleep(500);
  }
}

async function killGateway() {
  const child = gatewayProcess;
  gatewayProcess = null;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGKILL");
  await exited;
}

/** The Node device: a process on its file, writing for ms; killed and started again by the test. */
function nodeDevice(file) {
  const device = { writes: [], child: null, synced: null, rows: null };
  device.start = (ms, seed, name) => {
    const child = spawn(
      process.execPath,
      ["e2e/sync-device.mjs", file, URL_OF_SYNC, name, String(seed), String(ms)],
      { stdio: ["pipe", "pipe", "inherit"] },
    );
    device.child = child;
    deviceProcess = child;
    device.exited = new Promise((r) => child.once("exit", r));
    device.worked = new Promise((r) => (device.didWork = r));
    lines(child, (line) => {
      const message = JSON.parse(line);
      if (message.worked) device.didWork();
      else if (message.synced) device.synced?.();
      else if (message.rows) device.rows?.(message.rows);
      else device.writes.push(message);
    });
  };
  device.kill = async () => {
    device.child.kill("SIGKILL");
    await device.exited;
  };
  device.whenSynced = () =>
    new Promise((resolve) => {
      device.synced = resolve;
      device.child.stdin.write("sync\n");
    });
  device.table = () =>
    new Promise((resolve) => {
      device.rows = resolve;
      device.child.stdin.write("rows\n");
    });
  return device;
}

/** A page of a browser profile: its database syncing, its workload running in the background. */
async function pageDevice(context, name, seed) {
  const page = await context.newPage();
  page.on("pageerror", (e) => console.log(`${name}: page error: ${e.message}`));
  await page.goto(`${web.url}/e2e/pages/blank.html`);
  await page.evaluate(
    async ({ name, seed, ms, url }) => {
      const { open } = await import("/js/dist/web/index.js");
      const { workload } = await import("/e2e/sync-workload.mjs");
      const db = await open("todos.db");
      await db.exec(
        "CREATE TABLE IF NOT EXISTS todos (id TEXT PRIMARY KEY, title TEXT, n INTEGER)",
      );
      window.db = db;
      window.options = { url, tables: ["todos"] };
      window.sync = await db.sync(window.options);
      window.writes = [];
      window.work = workload(db, { name, seed, ms, done: (w) => window.writes.push(w) });
    },
    { name, seed, ms: SECONDS * 1000, url: URL_OF_SYNC },
  );
  return page;
}

before(async () => {
  postgres = await startPostgres();
  sql = new pg.Client({ connectionString: postgres.url });
  await sql.connect();
  await sql.query(`
    CREATE TABLE todos (id text PRIMARY KEY, title text, n integer);
    CREATE TABLE audit (k bigserial, id text, op text, title text,
      xid xid8 DEFAULT pg_current_xact_id(), lsn pg_lsn DEFAULT pg_current_wal_insert_lsn());
    CREATE FUNCTION audit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO audit (id, op, title)
          VALUES (coalesce(NEW.id, OLD.id), TG_OP, CASE TG_OP WHEN 'DELETE' THEN NULL ELSE NEW.title END);
        RETURN NULL;
      END $$;
    CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON todos
      FOR EACH ROW EXECUTE FUNCTION audit();`);
  await sql.end(); // Postgres restarts during the run: the test connects again at the end
  web = await serve({ port: 8819 });
  dir = mkdtempSync(join(tmpdir(), "wsq-sync-faults-"));
  await startGateway();
  for (let i = 0; i < 2; i++) {
    profiles.push(freshProfile());
    contexts.push(await launch(profiles[i]));
  }
});

after(async () => {
  if (deviceProcess?.exitCode === null) deviceProcess.kill("SIGKILL");
  await killGateway();
  for (const c of contexts) await c.close().catch(() => {});
  for (const p of profiles) removeProfile(p);
  await web?.close();
  await sql?.end().catch(() => {});
  await postgres?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** On a difference: the rows that differ, and what Postgres's audit and log say of them. */
async function explain(name, rows, truth) {
  const byId = (list) => new Map(list.map((r) => [r.id, JSON.stringify(r)]));
  const mine = byId(rows);
  const theirs = byId(truth);
  const ids = [...new Set([...mine.keys(), ...theirs.keys()])].filter(
    (id) => mine.get(id) !== theirs.get(id),
  );
  console.log(`device ${name}: ${ids.length} rows differ`);
  for (const id of ids.slice(0, 5)) {
    const { rows: audit } = await sql.query(
      "SELECT k, op, title, xid::text, lsn::text FROM audit WHERE id = $1 ORDER BY k",
      [id],
    );
    const { rows: log } = await sql.query(
      `SELECT pos, xid::text, lsn::text, changes::text FROM wsq_sync.log
        WHERE changes::text LIKE $1 ORDER BY pos`,
      [`%"${id}"%`],
    );
    const report = {
      id,
      device: mine.get(id) ?? null,
      postgres: theirs.get(id) ?? null,
      audit,
      log,
    };
    console.log(JSON.stringify(report, null, 1));
  }
}

describe("sync with PostgreSQL under faults", () => {
  it(
    "three devices converge with Postgres, every write once",
    { timeout: 900000 }, // generous: the run, then every device catching up on a busy machine
    async () => {
      const a = await pageDevice(contexts[0], "a", SEED + 1);
      const b = await pageDevice(contexts[1], "b", SEED + 2);
      const c = nodeDevice(join(dir, "node.db"));
      const end = Date.now() + SECONDS * 1000;
      c.start(SECONDS * 1000, SEED + 3, "node0");
      const faults = [];
      let nodeRuns = 1;
      while (Date.now() < end - 2000) {
        await sleep(2000 + random() * 3000);
        const roll = random();
        if (roll < 0.3) {
          faults.push("sync server killed");
          await killGateway();
          await sleep(random() * 2000);
          await startGateway();
        } else if (roll < 0.45) {
          faults.push("postgres restarted");
          await postgres.restart();
        } else if (roll < 0.75) {
          // In the middle of its uploads: it uploads each write as it commits.
          faults.push("node device killed");
          await c.kill();
          c.start(Math.max(0, end - Date.now()), SEED + 3 + nodeRuns, `node${nodeRuns}`);
          nodeRuns++;
        } else {
          faults.push("a page offline");
          const page = random() < 0.5 ? a : b;
          await page.evaluate(() => window.sync.stop());
          await sleep(500 + random() * 2000);
          await page.evaluate(async () => (window.sync = await window.db.sync(window.options)));
        }
      }
      console.log(`faults: ${faults.join(", ")}`);
      for (const page of [a, b]) await page.evaluate(() => window.work);
      await c.worked;
      console.log("the writes are done; syncing every device");
      // Everyone's writes up, then everyone's down.
      const synced = (page) =>
        page.evaluate(async () => {
          try {
            await window.sync.whenSynced({ timeoutMs: 120000 }); // generous: after the faults
          } catch (e) {
            throw new Error(
              `${e.message}; pending ${window.sync.pending}, error ${window.sync.error?.message}`,
            );
          }
        });
      for (let round = 0; round < 2; round++) {
        for (const page of [a, b]) await synced(page);
        await c.whenSynced();
      }

      sql = new pg.Client({ connectionString: postgres.url });
      await sql.connect();
      const { rows: truth } = await sql.query("SELECT id, title, n FROM todos ORDER BY id");
      const tables = [
        [
          "a",
          await a.evaluate(() => window.db.query("SELECT id, title, n FROM todos ORDER BY id")),
        ],
        [
          "b",
          await b.evaluate(() => window.db.query("SELECT id, title, n FROM todos ORDER BY id")),
        ],
        ["node", await c.table()],
      ];
      for (const [name, rows] of tables) {
        if (JSON.stringify(rows) !== JSON.stringify(truth)) await explain(name, rows, truth);
        assert.deepEqual(rows, truth, `device ${name} differs from Postgres`);
      }

      const { rows: audit } = await sql.query("SELECT op, title FROM audit WHERE op <> 'DELETE'");
      const seen = new Map();
      for (const { title } of audit) seen.set(title, (seen.get(title) ?? 0) + 1);
      const twice = [...seen].filter(([, n]) => n > 1);
      assert.deepEqual(twice, [], "writes applied twice");

      const writes = [
        ...(await a.evaluate(() => window.writes)),
        ...(await b.evaluate(() => window.writes)),
        ...c.writes,
      ];
      const inserted = new Set(audit.filter((r) => r.op === "INSERT").map((r) => r.title));
      const lost = writes.filter((w) => w.op === "insert" && !inserted.has(w.title));
      assert.deepEqual(lost, [], "inserts that resolved on a device and never reached Postgres");
      console.log(
        `${writes.length} writes, ${truth.length} rows, ${audit.length} rows applied in Postgres`,
      );
      await c.kill();
    },
  );
});
