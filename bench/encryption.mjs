// What a key costs, through the Promise API in Chromium on OPFS: loading the encryption build at
// the first open with a key, an open with a passphrase (the key derivation, PBKDF2-HMAC-SHA256 with
// 64,007 iterations, is slow on purpose), an open with 32 raw key bytes, an open without a key,
// and one durable commit with and without a key. The speed suite with a key is bench/speed.mjs's
// "web-sqlite opfs key". Prints a markdown table; never fails on slow numbers.
//
//   node bench/encryption.mjs            (make bench runs it)
//   node bench/encryption.mjs --quick    (a few rounds: checks the harness still runs)
import { record } from "./results.mjs";
import { freshProfile, launch, removeProfile, testPage } from "../e2e/harness.mjs";
import { serve } from "../e2e/server.mjs";

const quick = process.argv.includes("--quick");
const OPENS = quick ? 3 : 15;
const COMMITS = quick ? 20 : 300;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms) => (ms < 1 ? ms.toFixed(3) : ms.toFixed(1));

const server = await serve({ port: 8791 });
const profile = freshProfile();
const context = await launch(profile);
try {
  const page = await testPage(context, server.url);
  const out = await page.evaluate(
    async ({ opens, commits }) => {
      const { wsq } = window;
      const time = async (fn) => {
        const t = performance.now();
        await fn();
        return performance.now() - t;
      };
      const raw = crypto.getRandomValues(new Uint8Array(32));
      // The page's worker loads web-sqlite.wasm with a first database without a key.
      const plain = await wsq.open("bench-enc-plain.db");
      await plain.exec("CREATE TABLE IF NOT EXISTS t(v)");
      await plain.close();
      const firstKeyed = await time(async () => {
        const db = await wsq.open("bench-enc-pass.db", { key: "bench passphrase" });
        await db.exec("CREATE TABLE IF NOT EXISTS t(v)");
        await db.close();
      });
      const rawDb = await wsq.open("bench-enc-raw.db", { key: raw });
      await rawDb.exec("CREATE TABLE IF NOT EXISTS t(v)");
      await rawDb.close();
      const reopen = async (name, options) => {
        const ms = [];
        for (let i = 0; i < opens; i++) {
          ms.push(
            await time(async () => {
              const db = await wsq.open(name, options);
              await db.close();
            }),
          );
        }
        return ms;
      };
      const perCommit = async (name, options) => {
        const db = await wsq.open(name, options);
        const ms = await time(async () => {
          for (let i = 0; i < commits; i++) await db.exec("INSERT INTO t VALUES (?)", [i]);
        });
        await db.close();
        return ms / commits;
      };
      return {
        firstKeyed,
        plainOpen: await reopen("bench-enc-plain.db", {}),
        passOpen: await reopen("bench-enc-pass.db", { key: "bench passphrase" }),
        rawOpen: await reopen("bench-enc-raw.db", { key: raw }),
        plainCommit: await perCommit("bench-enc-plain.db", {}),
        keyCommit: await perCommit("bench-enc-raw.db", { key: raw }),
      };
    },
    { opens: OPENS, commits: COMMITS },
  );
  const plainOpen = median(out.plainOpen);
  const rows = [
    [
      "first open with a key (loads web-sqlite-cipher.wasm, derives the key, creates)",
      out.firstKeyed,
    ],
    [`open + close, no key (median of ${OPENS})`, plainOpen],
    [`open + close, passphrase (median of ${OPENS})`, median(out.passOpen)],
    [`open + close, 32 raw key bytes (median of ${OPENS})`, median(out.rawOpen)],
    [`one durable commit, no key (${COMMITS} autocommit INSERTs)`, out.plainCommit],
    ["one durable commit, raw key", out.keyCommit],
  ];
  console.log("## Encryption on OPFS (Chromium, the Promise API)\n");
  console.log("| what | ms | / no key |\n| --- | ---: | ---: |");
  for (const [what, ms] of rows) {
    const base = what.startsWith("one durable") ? out.plainCommit : plainOpen;
    console.log(`| ${what} | ${fmt(ms)} | ${(ms / base).toFixed(2)}x |`);
  }
  if (!quick)
    console.log(`\nwrote ${record("encryption", { opens: OPENS, commits: COMMITS, ...out })}`);
} finally {
  await context.close();
  removeProfile(profile);
  await server.close();
}
