// Sync with PostgreSQL, in Node: devices (web-sqlite databases on files, the real wasm) and sync
// servers (web-sqlite/server) against a real PostgreSQL 15 cluster of the test's own.
import assert from "node:assert/strict";
import http from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import pg from "pg";

import { open } from "../js/dist/src/index.js";
import { createSyncServer } from "../js/dist/src/server/index.js";
import { startPostgres } from "./postgres.mjs";

const SCHEMA = "(id text PRIMARY KEY, title text, done boolean)";
const WAIT = { timeoutMs: 60000 };

let postgres;
let sql;
let dir;

/** A sync server on a port of its own; handler wraps its handler (a test's proxy). */
async function gateway(options = {}, wrap = (h) => h) {
  const server = await createSyncServer({ postgres: postgres.url, tables: ["todos"], ...options });
  const web = http.createServer(wrap(server.handler));
  await new Promise((resolve) => web.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${web.address().port}/sync`,
    async close() {
      web.closeAllConnections();
      await new Promise((resolve) => web.close(resolve));
      await server.close();
    },
  };
}

let devices = 0;
/** A device: a database file with the synced table, syncing with url. */
async function device(url, options = {}) {
  const db = await open(join(dir, `device-${++devices}.db`));
  await db.exec(`CREATE TABLE IF NOT EXISTS todos ${SCHEMA}`);
  const sync = await db.sync({ url, tables: ["todos"], ...options });
  const rejected = [];
  sync.on("rejected", (e) => rejected.push(e));
  return { db, sync, rejected };
}

/** The end of a test: the devices' syncs stopped, their databases closed, the server closed. */
async function finish(server, ...devices) {
  for (const d of devices) {
    await d.sync.stop();
    await d.db.close();
  }
  await server.close();
}

const rows = (db) => db.query("SELECT id, title, done FROM todos ORDER BY id");
async function pgRows() {
  const { rows } = await sql.query("SELECT id, title, done FROM todos ORDER BY id");
  return rows.map((r) => ({
    id: r.id,
    title: r.title,
    done: r.done === null ? null : r.done ? 1 : 0,
  }));
}

before(async () => {
  postgres = await startPostgres();
  sql = new pg.Client({ connectionString: postgres.url });
  await sql.connect();
  await sql.query(`CREATE TABLE todos ${SCHEMA}`);
  // The audit of every row Postgres applied: a write applied twice shows twice.
  await sql.query(`
    CREATE TABLE audit (n bigserial, id text, op text, title text);
    CREATE FUNCTION audit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO audit (id, op, title) VALUES (coalesce(NEW.id, OLD.id), TG_OP, NEW.title);
        RETURN NULL;
      END $$;
    CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON todos
      FOR EACH ROW EXECUTE FUNCTION audit();`);
  dir = mkdtempSync(join(tmpdir(), "wsq-pgsync-"));
});

after(async () => {
  await sql?.end();
  await postgres?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("sync with PostgreSQL (Node devices)", () => {
  it("devices converge with Postgres: inserts, updates, deletes, and writes made in Postgres", async () => {
    const server = await gateway();
    const a = await device(server.url);
    const b = await device(server.url);
    try {
      await a.db.exec("INSERT INTO todos VALUES ('c1', 'from a', 0)");
      await a.sync.whenSynced(WAIT);
      assert.deepEqual(await pgRows(), [{ id: "c1", title: "from a", done: 0 }]);
      await b.sync.whenSynced(WAIT);
      assert.deepEqual(await rows(b.db), [{ id: "c1", title: "from a", done: 0 }]);

      await b.db.exec("UPDATE todos SET title = 'edited on b' WHERE id = 'c1'");
      await sql.query("INSERT INTO todos VALUES ('c2', 'from psql', true)");
      await b.sync.whenSynced(WAIT);
      await a.sync.whenSynced(WAIT);
      const expected = [
        { id: "c1", title: "edited on b", done: 0 },
        { id: "c2", title: "from psql", done: 1 },
      ];
      assert.deepEqual(await rows(a.db), expected);
      assert.deepEqual(await pgRows(), expected);

      await a.db.exec("DELETE FROM todos WHERE id = 'c2'");
      await sql.query("UPDATE todos SET done = true WHERE id = 'c1'");
      await a.sync.whenSynced(WAIT);
      await b.sync.whenSynced(WAIT);
      for (const d of [a, b]) {
        assert.deepEqual(await rows(d.db), [{ id: "c1", title: "edited on b", done: 1 }]);
      }
      assert.equal(a.sync.pending, 0);
      assert.equal(a.sync.status, "online");
    } finally {
      await finish(server, a, b);
    }
  });

  it("a write Postgres refuses is undone on the device and reported; later writes go on", async () => {
    const server = await gateway();
    const a = await device(server.url);
    try {
      await sql.query("CREATE UNIQUE INDEX todos_title ON todos (title)");
      await a.db.exec("INSERT INTO todos VALUES ('r1', 'unique title', 0)");
      await a.sync.whenSynced(WAIT);
      await a.db.exec("INSERT INTO todos VALUES ('r2', 'unique title', 0)"); // refused
      await a.db.exec("INSERT INTO todos VALUES ('r3', 'another', 0)");
      assert.equal((await a.db.query("SELECT id FROM todos WHERE id = 'r2'")).length, 1);
      await a.sync.whenSynced(WAIT);
      assert.equal(a.rejected.length, 1);
      const [e] = a.rejected;
      assert.equal(e.code, "SYNC_REJECTED");
      assert.equal(e.table, "todos");
      assert.deepEqual(e.key, { id: "r2" });
      assert.equal(e.sqlstate, "23505");
      assert.match(e.message, /todos_title/);
      assert.deepEqual(
        await a.db.query("SELECT id FROM todos WHERE id IN ('r2', 'r3') ORDER BY id"),
        [{ id: "r3" }],
      );
      const { rows: inPg } = await sql.query("SELECT id FROM todos WHERE id LIKE 'r%' ORDER BY id");
      assert.deepEqual(
        inPg.map((r) => r.id),
        ["r1", "r3"],
      );
    } finally {
      await sql.query("DROP INDEX IF EXISTS todos_title");
      await a.sync.stop();
      await a.db.close();
      await server.close();
    }
  });

  it("an upload whose answer was lost is sent again and applied once", async () => {
    let dropped = 0;
    // The answer of the first upload never reaches the device: the server applied it.
    const server = await gateway({}, (handler) => (req, res) => {
      if (req.url.endsWith("/upload") && dropped === 0) {
        dropped++;
        const end = res.end.bind(res);
        res.end = () => {
          res.socket.destroy();
          return end();
        };
        // Keep writeHead from going out: the device sees the connection end with no answer.
        res.writeHead = () => res;
      }
      handler(req, res);
    });
    const a = await device(server.url);
    try {
      await a.db.exec("INSERT INTO todos VALUES ('once', 'exactly once', 0)");
      await a.sync.whenSynced(WAIT);
      assert.equal(dropped, 1);
      const { rows: audited } = await sql.query("SELECT op FROM audit WHERE id = 'once'");
      assert.deepEqual(
        audited.map((r) => r.op),
        ["INSERT"],
      );
    } finally {
      await finish(server, a);
    }
  });

  it("a device offline while others change the same rows converges when it is back", async () => {
    const server = await gateway();
    const a = await device(server.url);
    const b = await device(server.url);
    try {
      await a.db.exec("INSERT INTO todos VALUES ('off1', 'first', 0)");
      await a.sync.whenSynced(WAIT);
      await b.sync.whenSynced(WAIT);
      await b.sync.stop(); // offline: its writes wait in the outbox
      await b.db.exec("UPDATE todos SET title = 'offline edit' WHERE id = 'off1'");
      await b.db.exec("INSERT INTO todos VALUES ('off2', 'made offline', 0)");
      await a.db.exec("UPDATE todos SET done = 1 WHERE id = 'off1'");
      await a.sync.whenSynced(WAIT);
      const back = await b.db.sync({ url: server.url, tables: ["todos"] });
      await back.whenSynced(WAIT);
      await a.sync.whenSynced(WAIT);
      const mine = async (d) => (await rows(d)).filter((r) => r.id.startsWith("off"));
      const expected = [
        { id: "off1", title: "offline edit", done: 1 },
        { id: "off2", title: "made offline", done: 0 },
      ];
      assert.deepEqual(await mine(b.db), expected);
      assert.deepEqual(await mine(a.db), expected);
      assert.deepEqual(
        (await pgRows()).filter((r) => r.id.startsWith("off")),
        expected,
      );
      await back.stop();
    } finally {
      await a.sync.stop();
      await a.db.close();
      await b.db.close();
      await server.close();
    }
  });

  it("a device away longer than the log keeps takes a new snapshot, its pending writes kept", async () => {
    let server = await gateway({ retentionMs: 1000 });
    const a = await device(server.url);
    let back = null;
    try {
      await a.db.exec("INSERT INTO todos VALUES ('away1', 'before', 0)");
      await a.sync.whenSynced(WAIT);
      await a.sync.stop();
      await sql.query("UPDATE todos SET title = 'changed while away' WHERE id = 'away1'");
      await sql.query("INSERT INTO todos VALUES ('away2', 'made while away', false)");
      await a.db.exec("INSERT INTO todos VALUES ('away3', 'pending on the device', 0)");
      await new Promise((r) => setTimeout(r, 1500)); // past the retention
      await server.close();
      server = await gateway({ retentionMs: 1000 });
      // Its log writer prunes as it starts (once it holds the writer's lock).
      const pruned = async () =>
        Number(
          (await sql.query("SELECT value FROM wsq_sync.state WHERE key = 'pruned'")).rows[0].value,
        );
      for (let i = 0; i < 600 && (await pruned()) === 0; i++)
        await new Promise((r) => setTimeout(r, 100));
      assert.ok((await pruned()) > 0, "the log was pruned");
      back = await a.db.sync({ url: server.url, tables: ["todos"] });
      await back.whenSynced(WAIT);
      const mine = (await rows(a.db)).filter((r) => r.id.startsWith("away"));
      assert.deepEqual(mine, [
        { id: "away1", title: "changed while away", done: 0 },
        { id: "away2", title: "made while away", done: 0 },
        { id: "away3", title: "pending on the device", done: 0 },
      ]);
      assert.equal((await sql.query("SELECT 1 FROM todos WHERE id = 'away3'")).rowCount, 1);
    } finally {
      await back?.stop();
      await a.db.close();
      await server.close();
    }
  });

  it("two gateways serve one Postgres: devices on each converge", async () => {
    const one = await gateway();
    const two = await gateway();
    const a = await device(one.url);
    const b = await device(two.url);
    try {
      await a.db.exec("INSERT INTO todos VALUES ('g1', 'via gateway one', 0)");
      await b.db.exec("INSERT INTO todos VALUES ('g2', 'via gateway two', 0)");
      await a.sync.whenSynced(WAIT);
      await b.sync.whenSynced(WAIT);
      await a.sync.whenSynced(WAIT);
      const mine = async (d) => (await rows(d)).filter((r) => r.id.startsWith("g"));
      assert.deepEqual(await mine(a.db), await mine(b.db));
      assert.equal((await mine(a.db)).length, 2);
    } finally {
      for (const d of [a, b]) {
        await d.sync.stop();
        await d.db.close();
      }
      await one.close();
      await two.close();
    }
  });

  it("authorize names the user, and each user reads and writes only their rows", async () => {
    await sql.query("CREATE TABLE notes (id text PRIMARY KEY, owner text NOT NULL, body text)");
    await sql.query(
      `INSERT INTO notes VALUES ('n-ann', 'ann', 'ann''s'), ('n-bob', 'bob', 'bob''s')`,
    );
    const server = await gateway({
      tables: ["notes"],
      authorize: (req) => {
        const user = /^Bearer (ann|bob)$/.exec(req.headers.authorization ?? "")?.[1];
        if (!user) throw new Error("a valid bearer token is needed");
        return { id: user };
      },
      filters: { notes: (user) => ({ owner: user.id }) },
    });
    const as = async (user) => {
      const db = await open(join(dir, `notes-${user}.db`));
      await db.exec("CREATE TABLE notes (id TEXT PRIMARY KEY, owner TEXT NOT NULL, body TEXT)");
      const sync = await db.sync({
        url: server.url,
        tables: ["notes"],
        headers: { authorization: `Bearer ${user}` },
      });
      const rejected = [];
      sync.on("rejected", (e) => rejected.push(e));
      return { db, sync, rejected };
    };
    const ann = await as("ann");
    const bob = await as("bob");
    try {
      await ann.sync.whenSynced(WAIT);
      await bob.sync.whenSynced(WAIT);
      const ids = async (d) =>
        (await d.db.query("SELECT id FROM notes ORDER BY id")).map((r) => r.id);
      assert.deepEqual(await ids(ann), ["n-ann"]);
      assert.deepEqual(await ids(bob), ["n-bob"]);

      // Ann writes a row of Bob's: refused, undone on her device, Bob's row untouched.
      await ann.db.exec("INSERT INTO notes VALUES ('n-bob', 'ann', 'taken over')");
      await ann.db.exec("INSERT INTO notes VALUES ('n-ann2', 'ann', 'mine')");
      await ann.sync.whenSynced(WAIT);
      assert.equal(ann.rejected.length, 1);
      assert.equal(ann.rejected[0].sqlstate, "FORBIDDEN");
      assert.deepEqual(await ids(ann), ["n-ann", "n-ann2"]);
      assert.equal(
        (await sql.query("SELECT owner FROM notes WHERE id = 'n-bob'")).rows[0].owner,
        "bob",
      );

      // A row given to Bob in Postgres leaves Ann's device and reaches Bob's.
      await sql.query("UPDATE notes SET owner = 'bob' WHERE id = 'n-ann'");
      await ann.sync.whenSynced(WAIT);
      await bob.sync.whenSynced(WAIT);
      assert.deepEqual(await ids(ann), ["n-ann2"]);
      assert.deepEqual(await ids(bob), ["n-ann", "n-bob"]);

      // Without a valid token: 401, and the sync fails saying so.
      const stranger = await open(join(dir, "notes-stranger.db"));
      await stranger.exec(
        "CREATE TABLE notes (id TEXT PRIMARY KEY, owner TEXT NOT NULL, body TEXT)",
      );
      const refused = await stranger.sync({ url: server.url, tables: ["notes"] });
      const e = await refused.whenSynced(WAIT).then(
        () => null,
        (e) => e,
      );
      assert.equal(e?.code, "SYNC_REFUSED");
      assert.match(e.message, /401 UNAUTHORIZED.*bearer token/);
      await refused.stop();
      await stranger.close();
    } finally {
      await finish(server, ann, bob);
    }
  });

  it("values keep their type both ways", async () => {
    await sql.query(`CREATE TABLE kinds (id text PRIMARY KEY, i bigint, f double precision,
      n numeric, t text, b bytea, ok boolean, at timestamptz, j jsonb, s smallint, r real,
      v varchar(10), u uuid, d date, ts timestamp)`);
    const server = await gateway({ tables: ["kinds"] });
    const db = await open(join(dir, "kinds.db"));
    await db.exec(`CREATE TABLE kinds (id TEXT PRIMARY KEY, i INTEGER, f REAL, n TEXT, t TEXT,
      b BLOB, ok INTEGER, at TEXT, j TEXT, s INTEGER, r REAL, v TEXT, u TEXT, d TEXT, ts TEXT)`);
    const sync = await db.sync({ url: server.url, tables: ["kinds"] });
    try {
      const big = 9223372036854775807n;
      const local = {
        id: "device",
        i: big,
        f: 0.1,
        n: "12345678901234567890.123",
        t: "héllo ✓",
        b: new Uint8Array([0, 1, 254, 255]),
        ok: 1,
        at: "2026-12-06T10:00:00.123Z",
        j: '{"a": 1}',
        s: -32768,
        r: 0.5,
        v: "ten chars.",
        u: "0b6f4b4e-5f0c-4a57-9d3c-1d2e3f405162",
        d: "2026-12-06",
        ts: "2026-12-06T10:00:00.250",
      };
      await db.exec(
        `INSERT INTO kinds VALUES ($id, $i, $f, $n, $t, $b, $ok, $at, $j, $s, $r, $v, $u, $d, $ts)`,
        local,
      );
      await sql.query(`INSERT INTO kinds VALUES ('postgres', -9007199254740993, 1e300, 0.5,
        'ünïcode', '\\x00ff', false, '2026-12-06 10:00:00.5+00', '{"b": [1, 2]}', 32767, 1.5,
        'short', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '1999-12-31', '2026-01-02 03:04:05')`);
      await sync.whenSynced(WAIT);
      const { rows: inPg } = await sql.query(
        `SELECT i::text, f, n::text, t, encode(b, 'hex') AS b, ok, at, j::text, s, r, v, u::text,
                d::text, ts::text FROM kinds WHERE id = 'device'`,
      );
      assert.deepEqual(inPg[0], {
        i: big.toString(),
        f: 0.1,
        n: "12345678901234567890.123",
        t: "héllo ✓",
        b: "0001feff",
        ok: true,
        at: new Date("2026-12-06T10:00:00.123Z"),
        j: '{"a": 1}',
        s: -32768,
        r: 0.5,
        v: "ten chars.",
        u: "0b6f4b4e-5f0c-4a57-9d3c-1d2e3f405162",
        d: "2026-12-06",
        ts: "2026-12-06 10:00:00.25",
      });
      const [fromPg] = await db.query("SELECT * FROM kinds WHERE id = 'postgres'");
      assert.equal(fromPg.i, -9007199254740993n);
      assert.equal(fromPg.f, 1e300);
      assert.equal(fromPg.n, "0.5");
      assert.equal(fromPg.t, "ünïcode");
      assert.deepEqual(fromPg.b, new Uint8Array([0, 255]));
      assert.equal(fromPg.ok, 0);
      assert.equal(fromPg.at, "2026-12-06T10:00:00.500Z");
      assert.equal(fromPg.j, '{"b": [1, 2]}');
      assert.equal(fromPg.s, 32767);
      assert.equal(fromPg.r, 1.5);
      assert.equal(fromPg.v, "short");
      assert.equal(fromPg.u, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
      assert.equal(fromPg.d, "1999-12-31");
      assert.equal(fromPg.ts, "2026-01-02T03:04:05.000");
      const [mine] = await db.query("SELECT i, b FROM kinds WHERE id = 'device'");
      assert.equal(mine.i, big);
      assert.deepEqual(mine.b, local.b);
    } finally {
      await sync.stop();
      await db.close();
      await server.close();
    }
  });

  it("bad input gets a 4xx and changes nothing", async () => {
    const server = await gateway();
    const a = await device(server.url);
    try {
      await a.db.exec("INSERT INTO todos VALUES ('bad0', 'before', 0)");
      await a.db.exec("INSERT INTO todos VALUES ('bad0b', 'before', 0)"); // uploads 1 and 2
      await a.sync.whenSynced(WAIT);
      const [client] = await a.db.query("SELECT value FROM _wsq_sync_state WHERE name = 'client'");
      const { rows: before } = await sql.query("SELECT count(*)::int AS n FROM audit");
      const post = async (endpoint, body, type = "application/json") => {
        const r = await fetch(`${server.url}/${endpoint}`, {
          method: "POST",
          headers: { "content-type": type },
          body: typeof body === "string" ? body : JSON.stringify(body),
        });
        return { status: r.status, body: await r.json() };
      };
      const write = {
        t: "todos",
        op: "insert",
        key: { id: "bad1" },
        values: { id: "bad1", title: "x" },
      };
      const up = (prev, seq, writes = [write], who = client.value) => ({
        client: who,
        prev,
        transactions: [{ seq, writes }],
      });
      const cases = [
        [await post("upload", "{not json"), 400, "BAD_REQUEST"],
        [await post("upload", { client: client.value }), 400, "BAD_REQUEST"],
        [await post("upload", "{}", "text/plain"), 415, "UNSUPPORTED_MEDIA_TYPE"],
        [await post("upload", { ...up(2, 3), transactions: [] }), 400, "BAD_REQUEST"],
        [
          await post("upload", {
            ...up(2, 5),
            transactions: [
              { seq: 5, writes: [] },
              { seq: 4, writes: [] },
            ],
          }),
          400,
          "BAD_REQUEST",
        ],
        [await post("upload", up(2, 1e6, [{ ...write, t: "secrets" }])), 400, "UNKNOWN_TABLE"],
        [await post("upload", up(12345, 1e6)), 409, "OUT_OF_ORDER"],
        [await post("upload", up(0, 1)), 409, "STALE_UPLOAD"],
        [await post("upload", up(0, 1, [write], "nobody-at-all")), 409, "UNKNOWN_CLIENT"],
        [
          await post(
            "upload",
            up(2, 1e6, [{ ...write, values: { id: "bad1", title: { $x: "zz" } } }]),
          ),
          400,
          "BAD_REQUEST",
        ],
        [
          await post("pull", { client: client.value, pos: "-1", snapshot: null, wait: 0 }),
          400,
          "BAD_REQUEST",
        ],
        [await post("nothing", {}), 404, "NOT_FOUND"],
      ];
      // The last upload again: answered as before, applied once.
      const replay = await post("upload", up(1, 2));
      assert.deepEqual(replay, { status: 200, body: { seq: 2, replay: true, rejected: [] } });
      for (const [answer, status, code] of cases) {
        assert.equal(answer.status, status, JSON.stringify(answer.body));
        assert.equal(answer.body.error.code, code);
        assert.ok(answer.body.error.message.length > 0);
      }
      const large = await fetch(`${server.url}/upload`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "x".repeat(9 * 1024 * 1024),
      });
      assert.equal(large.status, 413);
      const { rows: now } = await sql.query("SELECT count(*)::int AS n FROM audit");
      assert.equal(now[0].n, before[0].n);
      // The device goes on.
      await a.db.exec("INSERT INTO todos VALUES ('bad2', 'after', 0)");
      await a.sync.whenSynced(WAIT);
      assert.equal((await sql.query("SELECT 1 FROM todos WHERE id = 'bad2'")).rowCount, 1);
    } finally {
      await finish(server, a);
    }
  });

  it("a server that answers HTML, or a schema that differs, fails the sync with a typed error", async () => {
    const html = http.createServer((req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<html>not a sync server</html>");
    });
    await new Promise((resolve) => html.listen(0, "127.0.0.1", resolve));
    const db = await open(join(dir, "html.db"));
    await db.exec(`CREATE TABLE todos ${SCHEMA}`);
    const sync = await db.sync({
      url: `http://127.0.0.1:${html.address().port}/sync`,
      tables: ["todos"],
    });
    await assert.rejects(sync.whenSynced(WAIT), (e) => e.code === "SYNC_PROTOCOL");
    assert.equal(sync.status, "failed");
    await sync.stop();
    html.close();

    const server = await gateway();
    await db.exec("ALTER TABLE todos ADD COLUMN extra TEXT");
    const other = await db.sync({ url: server.url, tables: ["todos"] });
    const e = await other.whenSynced(WAIT).then(
      () => null,
      (e) => e,
    );
    assert.equal(e?.code, "SYNC_SCHEMA");
    assert.match(e.message, /"todos"\."extra" is missing in Postgres/);
    await other.stop();
    await db.close();
    await server.close();
  });
});
