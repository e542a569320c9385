/**
 * Encryption at rest through the Promise API: cases of the Promise API suite
 * (suites/promise-api.ts), so they run in Node on files and on every storage of every browser
 * engine. The bytes at rest are read by the host (ctx.bytesAtRest): Node's files, OPFS files,
 * IndexedDB records.
 */
import { eq, ok, rejects } from "./check.js";
import type { Case } from "./promise-api.js";

const code = (e: unknown) => (e as { code?: string }).code;
const isCode = (c: string) => (e: unknown) => code(e) === c;

/** What the cases write through SQL, and look for in the bytes at rest. */
const MARKER = "plaintext-marker-4c1d2e";
const PASSPHRASE = "correct horse battery staple";

/** Whether bytes hold text (as Latin-1: one character per byte). */
function holds(bytes: Uint8Array, text: string): boolean {
  let s = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return s.includes(text);
}

const isTypeError = (e: unknown) => e instanceof TypeError;

export const encryptionCases: Case[] = [
  [
    "keeps a database opened with a key unreadable at rest, and opens it with the key",
    async ({ wsq, name, bytesAtRest }) => {
      const file = name("sealed.db");
      const db = await wsq.open(file, { key: PASSPHRASE });
      await db.exec("CREATE TABLE t(v TEXT)");
      for (let i = 0; i < 50; i++) await db.exec("INSERT INTO t VALUES (?)", [`${MARKER}-${i}`]);
      // While it is open (the WAL too, where the host can read it), and once it is closed.
      for (const bytes of await bytesAtRest(file, true)) {
        ok(!holds(bytes, MARKER), "no plaintext in a file of the open database");
      }
      const exported = await db.export();
      await db.close();
      const files = await bytesAtRest(file, false);
      ok(files.length > 0 && files[0].length >= 4096, "the database's file was read");
      for (const bytes of files) ok(!holds(bytes, MARKER), "no plaintext at rest");
      ok(!holds(exported, MARKER), "export() gives the file as it is, encrypted");
      ok(!holds(exported.subarray(0, 16), "SQLite format 3"), "no SQLite header in the clear");
      const again = await wsq.open(file, { key: PASSPHRASE });
      eq(await again.query("SELECT count(*) AS n FROM t"), [{ n: 50 }], "read with the key");
      await again.close();
      // The exported file imports as it is; its key opens it.
      const copy = name("sealed-copy.db");
      eq(await wsq.importDatabase(copy, exported), { bytes: exported.length }, "imported");
      await rejects(wsq.open(copy), isCode("KEY_REQUIRED"), "the copy needs the key");
      const opened = await wsq.open(copy, { key: PASSPHRASE });
      eq(await opened.query("SELECT count(*) AS n FROM t"), [{ n: 50 }], "the copy, with its key");
      await opened.close();
    },
  ],
  [
    "refuses a wrong key, a missing key and a key for a plain database at open, changing nothing",
    async ({ wsq, name, bytesAtRest }) => {
      const file = name("locked.db");
      const db = await wsq.open(file, { key: PASSPHRASE });
      await db.exec("CREATE TABLE t(v); INSERT INTO t VALUES (?)", [MARKER]);
      await db.close();
      const before = await bytesAtRest(file, false);
      const wrong = (await rejects(
        wsq.open(file, { key: "not the key" }),
        isCode("WRONG_KEY"),
        "a wrong key",
      )) as Error;
      ok(!wrong.message.includes("not the key"), "no message holds a key");
      ok(/wrong/.test(wrong.message), `the message says the key is wrong: ${wrong.message}`);
      const missing = (await rejects(wsq.open(file), isCode("KEY_REQUIRED"), "no key")) as Error;
      ok(/encrypted/.test(missing.message), `the message says why: ${missing.message}`);
      const after = await bytesAtRest(file, false);
      ok(
        after.length === before.length &&
          after.every(
            (b, i) => b.length === before[i].length && b.every((x, j) => x === before[i][j]),
          ),
        "the files as they were",
      );
      for (const bad of ["", new Uint8Array(16), 42]) {
        await rejects(wsq.open(file, { key: bad as never }), isTypeError, "not a key");
      }
      const plain = name("plain.db");
      const p = await wsq.open(plain);
      await p.exec("CREATE TABLE t(v); INSERT INTO t VALUES (1)");
      await p.close();
      const notEncrypted = (await rejects(
        wsq.open(plain, { key: PASSPHRASE }),
        isCode("NOT_ENCRYPTED"),
        "a key for a plain database",
      )) as Error;
      ok(/rekey/.test(notEncrypted.message), "the message says what to do");
      const right = await wsq.open(file, { key: PASSPHRASE });
      eq(await right.query("SELECT v FROM t"), [{ v: MARKER }], "intact after the refusals");
      await right.close();
    },
  ],
  [
    "rekeys a database: plain to encrypted, to raw key bytes, and back to plain",
    async ({ wsq, name, bytesAtRest }) => {
      const file = name("rekeyed.db");
      const db = await wsq.open(file);
      await db.exec("CREATE TABLE t(v); INSERT INTO t VALUES (?)", [MARKER]);
      await db.rekey(PASSPHRASE);
      eq(await db.query("SELECT v FROM t"), [{ v: MARKER }], "readable after the rekey");
      await db.exec("INSERT INTO t VALUES ('after')");
      await db.close();
      for (const bytes of await bytesAtRest(file, false)) ok(!holds(bytes, MARKER), "encrypted");
      await rejects(wsq.open(file), isCode("KEY_REQUIRED"), "now it needs its key");
      const raw = new Uint8Array(32).map((_, i) => i * 13 + 7);
      const second = await wsq.open(file, { key: PASSPHRASE });
      await second.rekey(raw);
      await second.close();
      await rejects(wsq.open(file, { key: PASSPHRASE }), isCode("WRONG_KEY"), "the old key");
      const third = await wsq.open(file, { key: raw });
      eq(await third.query("SELECT count(*) AS n FROM t"), [{ n: 2 }], "the raw key opens it");
      await third.rekey(null);
      await third.close();
      const last = await wsq.open(file);
      eq(await last.query("SELECT count(*) AS n FROM t"), [{ n: 2 }], "plain again");
      await last.close();
      ok(
        (await bytesAtRest(file, false)).some((bytes) => holds(bytes, MARKER)),
        "decrypted at rest",
      );
    },
  ],
  [
    "rekey needs the database to itself, and a bad key changes nothing",
    async ({ wsq, name }) => {
      const file = name("shared-rekey.db");
      const db = await wsq.open(file, { key: PASSPHRASE });
      await db.exec("CREATE TABLE t(v); INSERT INTO t VALUES (1)");
      const other = await wsq.open(file, { key: PASSPHRASE });
      await rejects(db.rekey("another"), isCode("DATABASE_OPEN"), "another connection is open");
      await other.close();
      await rejects(db.rekey(new Uint8Array(31)), isTypeError, "not a key");
      await db.close();
      const again = await wsq.open(file, { key: PASSPHRASE });
      eq(await again.query("SELECT v FROM t"), [{ v: 1 }], "the key unchanged");
      await again.close();
    },
  ],
];
