/**
 * The Promise API's tools for applications (live queries, migrations, changesets, the functions
 * of the percentile extension): cases of the Promise API suite (suites/promise-api.ts), so they
 * run in Node and on every storage of every browser engine.
 */
import type * as Library from "../../src/index.js";
import { arrivals, eq, ok, rejects } from "./check.js";
import type { Case } from "./promise-api.js";

const code = (e: unknown) => (e as { code?: string }).code;
const isCode = (c: string) => (e: unknown) => code(e) === c;

/** The deliveries of a watched query, in order, as they come (onRows is the callback). */
function deliveries<T>(): { onRows: (rows: T[]) => void; next(): Promise<T[]>; count(): number } {
  const rows = arrivals<T[]>("the watched query called back");
  return { onRows: rows.push, next: rows.next, count: rows.count };
}

const NOTES_SCHEMA =
  "CREATE TABLE tags(id INTEGER PRIMARY KEY, label TEXT);" +
  "CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT, tag_id INTEGER);" +
  "CREATE TABLE unrelated(v);" +
  "CREATE VIEW tagged AS SELECT body, label FROM notes JOIN tags ON tags.id = notes.tag_id";

export const appCases: Case[] = [
  [
    "watch calls back now and once per commit to a table the query reads, until stopped",
    async ({ wsq, name }) => {
      const db = await wsq.open(name("watch.db"));
      const other = await wsq.open(name("watch.db")); // commits of another connection count too
      await db.exec(NOTES_SCHEMA);
      type Tagged = { body: string; label: string };
      const seen = deliveries<Tagged>();
      const stop = await db.watch<Tagged>(
        "SELECT body, label FROM tagged WHERE label <> ? ORDER BY body",
        ["hidden"],
        seen.onRows,
      );
      eq(seen.count(), 1, "the rows now, before watch() resolves");
      eq(await seen.next(), [], "no rows yet");
      await other.exec("INSERT INTO tags VALUES (1, 'red')");
      eq(await seen.next(), [], "a commit to tags, read through the view");
      // A commit to a table it does not read runs nothing: the next rows are the next commit's.
      await other.exec("INSERT INTO unrelated VALUES (1)");
      await other.exec("INSERT INTO notes(body, tag_id) VALUES ('a', 1)");
      eq(await seen.next(), [{ body: "a", label: "red" }], "the commit to notes");
      await db.transaction(async (tx) => {
        await tx.exec("INSERT INTO notes(body, tag_id) VALUES ('b', 1)");
        await tx.exec("UPDATE tags SET label = 'blue'");
      });
      eq(
        await seen.next(),
        [
          { body: "a", label: "blue" },
          { body: "b", label: "blue" },
        ],
        "one call for a transaction that changed two tables it reads",
      );
      await other.exec("DELETE FROM notes WHERE body = 'a'");
      eq(await seen.next(), [{ body: "b", label: "blue" }], "once per commit");

      // A second watch of the same tables is the marker: stopped, the first calls back no more.
      const marker = deliveries<{ n: number }>();
      const stopMarker = await db.watch("SELECT count(*) AS n FROM notes", [], marker.onRows);
      eq(await marker.next(), [{ n: 1 }], "the marker's first rows");
      stop();
      stop(); // twice is harmless
      await other.exec("INSERT INTO notes(body, tag_id) VALUES ('c', 1)");
      eq(await marker.next(), [{ n: 2 }], "the marker hears the commit");
      eq(seen.count(), 0, "nothing after stop()");
      stopMarker();
      await db.close();
      await other.close();
    },
  ],
  [
    "watch coalesces a burst of commits and waits for this page's transaction",
    async ({ wsq, name }) => {
      const db = await wsq.open(name("watch-burst.db"));
      const other = await wsq.open(name("watch-burst.db"));
      await db.exec("CREATE TABLE t(v)");
      const seen = deliveries<{ n: number }>();
      const errors: unknown[] = [];
      await db.watch("SELECT count(*) AS n FROM t", undefined, seen.onRows, {
        onError: (e) => errors.push(e),
      });
      eq(await seen.next(), [{ n: 0 }], "the first rows");
      const commits = 50;
      await Promise.all(
        Array.from({ length: commits }, (_, i) => other.exec("INSERT INTO t VALUES (?)", [i])),
      );
      let calls = 0;
      for (let n = -1; n !== commits; calls++) [{ n }] = await seen.next();
      ok(calls < commits, `fewer calls than commits (${calls} for ${commits})`);
      // (A run that began before the last commit's event came may be followed by one more.)

      // A commit of another connection while a transaction of this page holds db: the query
      // waits for the transaction (db's own calls are refused while it runs) instead of failing.
      const commitHeard = arrivals<string[]>("the change event");
      const stopHeard = db.onChange(commitHeard.push);
      await db.transaction(async (tx) => {
        await tx.query("SELECT count(*) FROM t");
        await other.exec("INSERT INTO t VALUES ('during')");
        await commitHeard.next(); // the watch heard it first: its run waits now
      });
      let rows: { n: number }[];
      do rows = await seen.next();
      while (rows[0].n === commits);
      eq(rows, [{ n: commits + 1 }], "the rows once the transaction ended");
      eq(errors, [], "no TRANSACTION_ACTIVE");
      stopHeard();
      await db.close();
      await other.close();
    },
  ],
  [
    "watch rejects a query that fails, and reports later failures to onError",
    async ({ wsq, name }) => {
      const db = await wsq.open(name("watch-errors.db"));
      await db.exec("CREATE TABLE t(v)");
      await rejects(
        db.watch("SELECT * FROM nowhere", [], () => {}),
        isCode("SQLITE_ERROR"),
        "no such table",
      );
      await rejects(
        db.watch("SELECT * FROM t WHERE v = ?", [], () => {}),
        isCode("SQLITE_RANGE"),
        "a parameter without a value",
      );
      await rejects(
        db.watch("SELECT * FROM t", [], "not a function" as never),
        (e) => e instanceof TypeError,
        "onRows must be a function",
      );
      await db.transaction(() =>
        rejects(
          db.watch("SELECT * FROM t", [], () => {}),
          isCode("TRANSACTION_ACTIVE"),
          "on db inside its transaction, as every call",
        ),
      );
      const errors: unknown[] = [];
      let calls = 0;
      const stop = await db.watch(
        "SELECT count(*) AS n FROM t",
        [],
        () => {
          if (++calls === 2) throw new Error("the callback failed");
        },
        { onError: (e) => errors.push(e) },
      );
      await db.exec("INSERT INTO t VALUES (1)");
      await db.exec("INSERT INTO t VALUES (2)");
      // (The second insert's call is a marker that the first's has been made.)
      for (const giveUp = Date.now() + 20_000; calls < 3;) {
        ok(Date.now() < giveUp, "three calls");
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      eq(
        errors.map((e) => (e as Error).message),
        ["the callback failed"],
        "the callback's throw, to onError",
      );
      stop();
      await db.close();
    },
  ],
  [
    "migrate runs the migrations past user_version once, all or nothing",
    async ({ wsq, name }) => {
      const db = await wsq.open(name("migrate.db"));
      const other = await wsq.open(name("migrate.db"));
      const steps = [
        "CREATE TABLE a(x)",
        { name: "seed b", sql: "CREATE TABLE b(y); INSERT INTO b VALUES (1), (2)" },
      ];
      eq(await db.migrate(steps), { from: 0, to: 2 }, "both ran");
      eq(await db.migrate(steps), { from: 2, to: 2 }, "nothing runs twice");
      const more = [...steps, "ALTER TABLE b ADD COLUMN z DEFAULT 'z'"];
      const both = await Promise.all([db.migrate(more), other.migrate(more)]);
      eq(
        both.map((r) => r.from).sort(),
        [2, 3],
        "two at once: one ran the step, the other found it done",
      );
      eq(await db.query("SELECT * FROM b"), [
        { y: 1, z: "z" },
        { y: 2, z: "z" },
      ]);
      const broken = [
        ...more,
        "CREATE TABLE d(w)",
        { name: "copy", sql: "INSERT INTO d SELECT * FROM nowhere" },
      ];
      const e = (await rejects(
        db.migrate(broken),
        isCode("SQLITE_ERROR"),
        "a failing step",
      )) as Error;
      ok(e.message.startsWith('migration 5 ("copy"): no such table: nowhere'), e.message);
      eq(await db.query("PRAGMA user_version"), [{ user_version: 3 }], "the version before");
      eq(
        await db.query("SELECT name FROM sqlite_schema WHERE name = 'd'"),
        [],
        "the step before the failing one rolled back too",
      );
      await rejects(db.migrate(steps), isCode("MIGRATION_NEWER"), "the database is newer");
      await rejects(
        db.migrate("CREATE TABLE x(y)" as never),
        (e) => e instanceof TypeError,
        "not an array",
      );
      await rejects(
        db.migrate([{ sql: 42 }] as never),
        (e) => e instanceof TypeError,
        "a step without SQL",
      );
      eq(await db.query("SELECT count(*) AS n FROM b"), [{ n: 2 }], "usable after");
      await db.close();
      await other.close();
    },
  ],
  [
    "records changes as a changeset, applies it elsewhere under each conflict policy, inverts it",
    async ({ wsq, name }) => {
      const source = await wsq.open(name("source.db"));
      const replica = await wsq.open(name("replica.db"));
      const schema =
        "CREATE TABLE items(id INTEGER PRIMARY KEY, label TEXT UNIQUE, qty INTEGER);" +
        "CREATE TABLE log(line TEXT)"; // no PRIMARY KEY: recorded by rowid
      await source.exec(schema);
      await replica.exec(schema);
      const all = (db: Library.Database) =>
        db.query(
          "SELECT 'items' AS t, * FROM items UNION ALL SELECT 'log', rowid, line, NULL FROM log ORDER BY 1, 2",
        );

      const { result, changeset } = await source.recordChanges(async (tx) => {
        await tx.exec("INSERT INTO items(label, qty) VALUES ('apple', 3), ('pear', 1)");
        await tx.exec("UPDATE items SET qty = qty + 1 WHERE label = 'pear'");
        await tx.exec("INSERT INTO log VALUES ('picked')");
        return "done";
      });
      eq(result, "done", "fn's result");
      ok(changeset instanceof Uint8Array && changeset.length > 0, "a changeset");
      eq(await replica.applyChangeset(changeset), { conflicts: 0 }, "applied");
      eq(await all(replica), await all(source), "the same content");

      // A row the replica has that the next changeset inserts too.
      await replica.exec("INSERT INTO items VALUES (10, 'theirs', 1)");
      const { changeset: next } = await source.recordChanges((tx) =>
        tx.exec("INSERT INTO items VALUES (10, 'ours', 2), (11, 'plum', 5)"),
      );
      const before = await all(replica);
      const abort = (await rejects(
        replica.applyChangeset(next),
        isCode("SQLITE_ABORT"),
        "abort, the default",
      )) as Error;
      ok(/already there .*'items'/.test(abort.message), abort.message);
      eq(await all(replica), before, "nothing applied");
      eq(await replica.applyChangeset(next, { onConflict: "omit" }), { conflicts: 1 }, "omit");
      eq(await replica.query("SELECT label FROM items WHERE id >= 10"), [
        { label: "theirs" },
        { label: "plum" },
      ]);
      await replica.exec("DELETE FROM items WHERE id = 11");
      eq(await replica.applyChangeset(next, { onConflict: "replace" }), { conflicts: 1 });
      eq(await replica.query("SELECT label FROM items WHERE id >= 10"), [
        { label: "ours" },
        { label: "plum" },
      ]);

      // Inverted, it undoes the work, here and in the replica.
      const undo = await source.invertChangeset(next);
      eq(await source.applyChangeset(undo), { conflicts: 0 });
      eq(await replica.applyChangeset(undo), { conflicts: 0 });
      eq(await all(replica), await all(source), "undone in both");

      // Work that throws commits nothing and gives no changeset.
      await rejects(
        source.recordChanges(async (tx) => {
          await tx.exec("INSERT INTO items VALUES (20, 'lost', 0)");
          throw new Error("changed my mind");
        }),
        (e) => (e as Error).message === "changed my mind",
        "the work's error",
      );
      eq(await source.query("SELECT * FROM items WHERE id = 20"), [], "rolled back");

      // Bad input: typed errors, nothing applied, the database usable.
      await rejects(
        replica.applyChangeset(new Uint8Array([1, 2, 3, 4])),
        isCode("SQLITE_CORRUPT"),
        "damaged bytes",
      );
      await rejects(
        replica.invertChangeset(new Uint8Array([1, 2, 3, 4])),
        isCode("SQLITE_CORRUPT"),
        "damaged bytes to invert",
      );
      await rejects(
        replica.applyChangeset(next, { onConflict: "merge" as never }),
        (e) => e instanceof TypeError,
        "an unknown policy",
      );
      await rejects(
        replica.applyChangeset("bytes" as never),
        (e) => e instanceof TypeError,
        "not bytes",
      );
      const elsewhere = await wsq.open(name("elsewhere.db"));
      await elsewhere.exec("CREATE TABLE items(id INTEGER PRIMARY KEY, label TEXT UNIQUE, qty)");
      await rejects(
        elsewhere.applyChangeset(changeset),
        (e) => code(e) === "SQLITE_SCHEMA" && /'log'/.test((e as Error).message),
        "a table the database lacks",
      );
      eq(await elsewhere.query("SELECT count(*) AS n FROM items"), [{ n: 0 }], "nothing applied");
      eq(await all(replica), await all(source), "the replica is as it was");
      for (const db of [source, replica, elsewhere]) await db.close();
    },
  ],
  [
    "has median, percentile and the other functions of the percentile extension",
    async ({ wsq }) => {
      const db = await wsq.open("percentile", { storage: "memory" });
      await db.exec("CREATE TABLE m(x); INSERT INTO m VALUES (1), (2), (3), (4), (10)");
      eq(
        await db.query(
          "SELECT median(x) AS median, percentile(x, 75) AS p75, percentile_cont(x, 0.25) AS cont, " +
            "percentile_disc(x, 0.5) AS disc FROM m",
        ),
        [{ median: 3, p75: 4, cont: 2, disc: 3 }],
      );
      await db.close();
    },
  ],
];
