// Tabs that end at any moment, the broker's with them: a seeded chaos run over one database, and
// the reduced case of a tab opening while the broker's tab dies. Every call's outcome is
// accounted for: a resolved write is there once, a write that reports it did not run is absent,
// a transaction or batch is all or nothing, integrity_check is ok, and no call waits past the
// bound (docs/API.md, "Many tabs").
//
// WSQ_CHAOS_SEED replays a run's schedule (each run prints its seed); WSQ_CHAOS_SECONDS sets how
// long the chaos lasts (default 45: make stress runs it for 600), WSQ_CHAOS_TRIALS how many times
// the reduced case runs (default 20; make stress: 100).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { after, describe, it } from "node:test";

import { ENGINE, startSession, testPage, unless } from "./harness.mjs";

const PORT = 8818; // fixed: OPFS belongs to the origin, port included
const SECONDS = Number(process.env.WSQ_CHAOS_SECONDS ?? 45);
const TRIALS = Number(process.env.WSQ_CHAOS_TRIALS ?? 20);
/**
 * The longest a call may take here. A call reaches the holder within 15 s or rejects with
 * DATABASE_UNREACHABLE; what it waits for after that (the other tabs' short transactions, a
 * hand-over) takes milliseconds: this is generous, and a call past it hangs.
 */
const CALL_BOUND_MS = 60_000;

const session = await startSession({ port: PORT });
const can = await session.capabilities();
after(() => session.close());

/** A seeded generator (mulberry32): the same seed, the same schedule. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The renderer process that runs the broker (the SharedWorker), found by its thread's name among
 * the browser's renderers; null if none runs it now.
 */
async function brokerProcess() {
  const cdp = await session.context.browser().newBrowserCDPSession();
  try {
    const { processInfo } = await cdp.send("SystemInfo.getProcessInfo");
    for (const { type, id } of processInfo) {
      if (type !== "renderer") continue;
      try {
        const threads = readdirSync(`/proc/${id}/task`);
        if (
          threads.some((t) =>
            readFileSync(`/proc/${id}/task/${t}/comm`, "utf8").startsWith("SharedWorker"),
          )
        )
          return id;
      } catch {
        // The process ended meanwhile.
      }
    }
    return null;
  } finally {
    await cdp.detach();
  }
}

/** Waits until no broker runs (every page of the last case closed), so the next starts anew. */
async function noBroker() {
  const cdp = await session.context.browser().newBrowserCDPSession();
  try {
    for (let waited = 0; ; waited += 50) {
      const { targetInfos } = await cdp.send("Target.getTargets");
      if (!targetInfos.some((t) => t.type === "shared_worker")) return;
      assert.ok(waited < 30_000, "the broker of closed pages ended");
      await sleep(50);
    }
  } finally {
    await cdp.detach();
  }
}

/**
 * A tab of the run: a page whose workload reports each call (start and outcome) on the console,
 * so that what a tab did is known even if it crashes. ended: the page closed, reloaded or
 * crashed (its unsettled calls then have an unknown outcome).
 */
class Tab {
  static count = 0;

  constructor(run, page) {
    this.run = run;
    this.page = page;
    this.id = `t${++Tab.count}`;
    this.ended = false;
    page.on("console", (m) => {
      const text = m.text();
      // (After a reload, the page's next document is another Tab.)
      if (text.startsWith("chaos ") && this.ended !== "reloaded") {
        run.report(this, JSON.parse(text.slice(6)));
      }
    });
    page.on("crash", () => this.end("crashed"));
  }

  end(how) {
    if (this.ended) return;
    this.ended = how;
    this.run.ended(this);
  }

  /** Opens the database and writes and reads until halted (returns once the open began). */
  start(seed) {
    return this.page.evaluate(
      ({ name, tab, seed }) => {
        let a = seed >>> 0;
        const rand = () => {
          a = (a + 0x6d2b79f5) >>> 0;
          let t = a;
          t = Math.imul(t ^ (t >>> 15), t | 1);
          t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
          return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
        };
        const report = (m) => console.log(`chaos ${JSON.stringify(m)}`);
        const INSERT = "INSERT INTO chaos(call, part, parts) VALUES (?, ?, ?)";
        let seq = 0;
        const call = async (kind, parts, fn) => {
          const id = `${tab}:${++seq}`;
          report({ call: id, kind, parts, at: Date.now() });
          try {
            await fn(id);
            report({ call: id, ok: true, at: Date.now() });
          } catch (e) {
            report({ call: id, code: e.code ?? e.name, message: e.message, at: Date.now() });
          }
        };
        window.halted = false;
        window.callsMade = () => seq;
        window.running = (async () => {
          let db;
          await call("open", 0, async () => (db = await window.wsq.open(name)));
          if (!db) return;
          let stmt = null;
          for (;;) {
            // A breath between calls (0-3 ms), as an app's calls come: the tabs still overlap,
            // and the machine keeps time for the browser's own work (loads, reloads). (A
            // background tab's timers may wait a second: halted is looked at after the breath.)
            await new Promise((resolve) => setTimeout(resolve, Math.floor(rand() * 4)));
            if (window.halted) break;
            const pick = rand();
            if (pick < 0.25) {
              await call("insert", 1, (id) => db.exec(INSERT, [id, 0, 1]));
            } else if (pick < 0.45) {
              await call("prepared", 1, async (id) => {
                stmt ??= await db.prepare(INSERT);
                await stmt.run([id, 0, 1]);
              });
            } else if (pick < 0.65) {
              await call("transaction", 3, (id) =>
                db.transaction(async (tx) => {
                  for (let part = 0; part < 3; part++) {
                    await tx.exec(INSERT, [id, part, 3]);
                    await tx.query("SELECT count(*) AS n FROM chaos WHERE call = ?", [id]);
                  }
                }),
              );
            } else if (pick < 0.8) {
              await call("batch", 3, (id) =>
                db.batch([0, 1, 2].map((part) => [INSERT, [id, part, 3]])),
              );
            } else {
              await call("read", 0, () => db.query("SELECT count(*) AS n FROM chaos"));
            }
          }
        })();
      },
      { name: this.run.name, tab: this.id, seed },
    );
  }
}

/** Errors after which a write is not in the database: it did not run, or was rolled back. */
const NOT_APPLIED = ["DATABASE_MOVED", "TRANSACTION_ROLLED_BACK", "DATABASE_UNREACHABLE"];
/** Errors after which a write may be there, or not (never half, never twice). */
const MAY_BE_APPLIED = ["OUTCOME_UNKNOWN"];

/** One run: its tabs, every call they made and how it ended. */
class Run {
  constructor(name, seed) {
    this.name = name;
    this.rand = random(seed);
    this.tabs = new Set();
    /** call id → { tab, kind, parts, at, outcome: undefined | "ok" | code | "unknown" } */
    this.calls = new Map();
    this.faults = {};
    this.log = [];
  }

  note(what) {
    this.log.push(`${new Date().toISOString()} ${what}`);
    if (this.log.length > 400) this.log.shift();
  }

  fault(kind) {
    this.faults[kind] = (this.faults[kind] ?? 0) + 1;
    this.note(`fault: ${kind}`);
  }

  report(tab, m) {
    const known = this.calls.get(m.call);
    if (m.kind !== undefined) {
      // A call's start (halt() may have noted it before it was heard of). The start of a call
      // of a tab that ended may be told after its end.
      const outcome = known?.outcome ?? (tab.ended ? "unknown" : undefined);
      this.calls.set(m.call, { tab, kind: m.kind, parts: m.parts, at: m.at, outcome });
    } else if (known?.outcome === undefined && known) {
      known.outcome = m.ok ? "ok" : m.code;
      known.took = m.at - known.at;
      if (!m.ok) known.message = m.message;
      if (!m.ok) this.note(`${m.call} (${known.kind}): ${m.code}: ${m.message}`);
    }
  }

  ended(tab) {
    this.tabs.delete(tab);
    this.note(`${tab.id} ${tab.ended}`);
    for (const c of this.calls.values()) {
      if (c.tab === tab && c.outcome === undefined) c.outcome = "unknown";
    }
  }

  /** A new tab, loaded, its workload started. */
  async open({ start = true } = {}) {
    const page = await testPage(session.context, session.server.url, "opfs");
    const tab = new Tab(this, page);
    this.tabs.add(tab);
    if (start) await tab.start(Math.floor(this.rand() * 2 ** 32));
    return tab;
  }

  /** The run's first tab: it creates the table, then starts its workload. */
  async first() {
    const tab = await this.open({ start: false });
    await tab.page.evaluate(async (name) => {
      const db = await window.wsq.open(name);
      await db.exec("CREATE TABLE chaos(call TEXT, part INTEGER, parts INTEGER)");
    }, this.name);
    await tab.start(Math.floor(this.rand() * 2 ** 32));
    return tab;
  }

  pickTab() {
    const tabs = [...this.tabs];
    return tabs[Math.floor(this.rand() * tabs.length)];
  }

  async close(tab) {
    tab.end("closed");
    await tab.page.close().catch(() => {});
  }

  /**
   * The faults, one every 1–4 s until the time is up, among those the engine's driver can make:
   * a new tab, a tab closed, reloaded or crashed, and the broker's process killed (its tab with
   * it) while a loaded tab opens the database 0–15 ms after.
   */
  async chaos(seconds) {
    const faults = [
      ["a new tab", 1, () => this.open()],
      ["a tab closed", 2, () => this.close(this.pickTab())],
      ["a tab reloaded", 2, () => this.reload(this.pickTab())],
    ];
    if (can.cdp === true) {
      faults.push(["a tab crashed", 2, () => this.crash(this.pickTab())]);
      faults.push([
        "the broker's process killed, a tab opening across it",
        2,
        () => this.killBroker(),
      ]);
    }
    const weights = faults.reduce((sum, [, weight]) => sum + weight, 0);
    const until = Date.now() + seconds * 1000;
    while (Date.now() < until) {
      await sleep(1000 + this.rand() * 3000);
      let pick = this.rand() * weights;
      let [kind, , make] = faults.find(([, weight]) => (pick -= weight) < 0);
      if (this.tabs.size < 3) [kind, , make] = faults[0];
      this.fault(kind);
      await make();
      // The oldest goes (it holds the database, most often): a tab stuck since it opened
      // would then take the database with it.
      while (this.tabs.size > 4) await this.close([...this.tabs][0]);
    }
  }

  async reload(tab) {
    tab.end("reloaded");
    await tab.page.reload();
    await tab.page.waitForFunction(() => window.wsq !== undefined);
    const again = new Tab(this, tab.page);
    this.tabs.add(again);
    await again.start(Math.floor(this.rand() * 2 ** 32));
  }

  async crash(tab) {
    const cdp = await session.context.newCDPSession(tab.page);
    void cdp.send("Page.crash").catch(() => {}); // the renderer is gone: no answer comes
    tab.end("crashed");
  }

  async killBroker() {
    const spare = await this.open({ start: false });
    const pid = await brokerProcess();
    if (pid !== null) execFileSync("kill", ["-KILL", String(pid)]);
    else this.note("no broker ran");
    await sleep(Math.floor(this.rand() * 16));
    if (!spare.ended) await spare.start(Math.floor(this.rand() * 2 ** 32));
  }

  /**
   * Stops every tab's workload and waits until each call it made has settled and its outcome
   * was heard (a tab tells how many calls it made; the console may tell of the last ones late).
   */
  async halt() {
    const made = new Map();
    for (const tab of this.tabs) {
      try {
        made.set(tab, await tab.page.evaluate(() => ((window.halted = true), window.callsMade())));
      } catch (e) {
        // A tab of the broker's process may crash as halt reaches it, before its crash event
        // came: it ended there (its unsettled calls have an unknown outcome), as any crash.
        if (!/crashed|closed/i.test(String(e))) throw e;
        tab.end("crashed");
      }
    }
    const deadline = Date.now() + CALL_BOUND_MS + 30_000;
    for (;;) {
      for (const [tab, count] of made) {
        for (let k = 1; k <= count; k++) {
          const id = `${tab.id}:${k}`;
          if (!tab.ended && !this.calls.has(id)) {
            this.calls.set(id, {
              tab,
              kind: "unheard",
              parts: 0,
              at: Date.now(),
              outcome: undefined,
            });
          }
        }
      }
      const pending = [...this.calls].filter(([, c]) => c.outcome === undefined);
      if (pending.length === 0) return;
      if (Date.now() > deadline) {
        assert.fail(
          `calls never settled: ${pending.map(([id, c]) => `${id} (${c.kind}, ${Date.now() - c.at} ms)`).join(", ")}`,
        );
      }
      await sleep(100);
    }
  }
}

/** Reads what a run left, in a new tab: every call's rows, and integrity_check. */
async function contents(name) {
  const page = await testPage(session.context, session.server.url, "opfs");
  try {
    return await page.evaluate(async (name) => {
      const db = await window.wsq.open(name);
      const rows = await db.query(
        "SELECT call, count(*) AS n, count(DISTINCT part) AS distinct_parts, max(parts) AS parts FROM chaos GROUP BY call",
      );
      const [check] = await db.query("PRAGMA integrity_check");
      await db.close();
      return { rows, check: check.integrity_check };
    }, name);
  } finally {
    await page.close();
  }
}

/** The checks of a run, with its summary printed. */
function verify(run, { rows, check }) {
  assert.equal(check, "ok");
  const present = new Map(rows.map((r) => [r.call, r]));
  const outcomes = {};
  const problems = [];
  for (const [id, c] of run.calls) {
    outcomes[c.outcome] = (outcomes[c.outcome] ?? 0) + 1;
    if (c.outcome !== "ok" && c.outcome !== "unknown" && c.kind !== "open" && c.kind !== "read") {
      assert.ok(
        NOT_APPLIED.includes(c.outcome) || MAY_BE_APPLIED.includes(c.outcome),
        `${id} (${c.kind}) failed with ${c.outcome}: ${c.message}`,
      );
    }
    if (c.kind === "open" || c.kind === "read") {
      assert.ok(
        ["ok", "unknown", "DATABASE_UNREACHABLE"].includes(c.outcome),
        `${id} (${c.kind}) failed with ${c.outcome}: ${c.message}`,
      );
    }
    if (c.took !== undefined) assert.ok(c.took <= CALL_BOUND_MS, `${id} took ${c.took} ms`);
    const n = present.get(id)?.n ?? 0;
    if (c.outcome === "ok" && n !== c.parts) {
      problems.push(`${id} (${c.kind}) resolved, yet ${n} of its ${c.parts} rows are there`);
    } else if (NOT_APPLIED.includes(c.outcome) && n !== 0) {
      problems.push(`${id} (${c.kind}) ${c.outcome}, yet its rows are there`);
    }
  }
  if (problems.length > 0) {
    // What a reader needs to find the cause: when each call ran, beside the faults.
    const when = (id) => {
      const c = run.calls.get(id);
      return `${id} ${c.kind} ${new Date(c.at).toISOString()} +${c.took} ms`;
    };
    const around = problems.map((p) => {
      const [tab, seq] = p.split(" ")[0].split(":");
      const near = [-2, -1, 1, 2]
        .map((d) => `${tab}:${Number(seq) + d}`)
        .filter((id) => run.calls.has(id))
        .map((id) => `${when(id)} ${run.calls.get(id).outcome} rows ${present.get(id)?.n ?? 0}`);
      return `${p}: ${when(p.split(" ")[0])}; near it: ${near.join("; ")}`;
    });
    assert.fail(`${around.join("\n")}\n${run.log.join("\n")}`);
  }
  for (const r of rows) {
    // All or nothing, nothing twice, whoever wrote it (a call whose start a crash never told).
    assert.equal(r.n, r.parts, `${r.call}: ${r.n} rows of ${r.parts}`);
    assert.equal(r.distinct_parts, r.parts, `${r.call}: each part once`);
  }
  const writes = [...run.calls.values()].filter((c) => c.parts > 0);
  console.log(
    `${ENGINE.name}: ${run.calls.size} calls (${writes.length} writes, ${rows.length} present); ` +
      `outcomes ${JSON.stringify(outcomes)}; faults ${JSON.stringify(run.faults)}`,
  );
}

describe(`tabs that end at any moment (${ENGINE.name}, OPFS)`, () => {
  it(
    "opens in a tab started as the broker's tab is killed, and the database stays reachable",
    { skip: unless(can, "opfs", "sharedWorker", "webLocks", "cdp") },
    async () => {
      for (let trial = 0; trial < TRIALS; trial++) {
        await noBroker();
        const name = `reduced-${trial}.db`;
        const run = new Run(name, trial);
        try {
          // A, the first tab, starts the broker (in its process) and holds the database.
          const a = await run.first();
          const b = await run.open();
          await b.page.waitForFunction(() => window.running !== undefined);
          const d = await run.open({ start: false });
          // B writes at A; then A's process is killed and D opens 0-15 ms later.
          while (
            [...run.calls.values()].filter((c) => c.tab === b && c.outcome === "ok").length < 20
          )
            await sleep(20);
          const pid = await brokerProcess();
          execFileSync("kill", ["-KILL", String(pid)]);
          await sleep((trial % 4) * 5);
          await d.start(2);
          while (!a.ended) await sleep(20);
          assert.equal(a.ended, "crashed", "the broker ran in A's process");
          assert.equal(b.ended, false);
          // D's open settles, and D writes; then B leaves, and a new tab reaches the database.
          const opened = () =>
            [...run.calls.values()].find((c) => c.tab === d && c.kind === "open");
          const since = Date.now();
          while (opened()?.outcome === undefined && Date.now() - since < CALL_BOUND_MS)
            await sleep(20);
          assert.equal(
            opened().outcome,
            "ok",
            `D's open: ${opened().outcome} ${opened().message ?? ""}`,
          );
          while (
            ![...run.calls.values()].some(
              (c) => c.tab === d && c.kind !== "open" && c.outcome === "ok",
            )
          )
            await sleep(20);
          await run.close(b);
          const e = await run.open();
          await e.page.waitForFunction(() => window.running !== undefined);
          while (
            ![...run.calls.values()].some(
              (c) => c.tab === e && c.kind !== "open" && c.outcome === "ok",
            )
          ) {
            assert.ok(Date.now() - since < 2 * CALL_BOUND_MS, "a new tab reached the database");
            await sleep(20);
          }
          await run.halt();
          verify(run, await contents(name));
        } catch (error) {
          console.error(run.log.join("\n"));
          throw error;
        } finally {
          for (const tab of [...run.tabs]) await run.close(tab);
        }
      }
    },
  );

  it(
    "rejects a call with DATABASE_UNREACHABLE when no holder answers, and serves it once one does",
    { skip: unless(can, "opfs", "sharedWorker", "webLocks", "cdp") },
    async () => {
      await noBroker();
      const name = "unreachable.db";
      const run = new Run(name, 0);
      try {
        // X starts the broker; A holds the database; then A's page stops (paused in the debugger,
        // as a page whose script hangs: it keeps its lock, and its worker serves on) and the
        // broker's process (X's) is killed: A cannot give its worker a port to the next broker,
        // so no broker learns who holds the database.
        const x = await run.open({ start: false });
        await x.page.evaluate(() => window.wsq.open("other.db"));
        const a = await run.first();
        const c = await run.open({ start: false });
        const cdp = await session.context.newCDPSession(a.page);
        await cdp.send("Debugger.enable");
        await cdp.send("Debugger.pause");
        void a.page.evaluate(() => 0).catch(() => {}); // (a task, where it pauses)
        execFileSync("kill", ["-KILL", String(await brokerProcess())]);
        const started = Date.now();
        const first = await c.page.evaluate(
          ({ name, bound }) =>
            Promise.race([
              window.wsq.open(name).then(
                () => "opened",
                (e) => `${e.code}: ${e.message}`,
              ),
              new Promise((resolve) => setTimeout(() => resolve("still pending"), bound)),
            ]),
          { name, bound: CALL_BOUND_MS },
        );
        const took = Date.now() - started;
        assert.match(
          first,
          /^DATABASE_UNREACHABLE: no tab holding 'unreachable\.db' answered within 15 s/,
        );
        assert.ok(took >= 15_000 && took < CALL_BOUND_MS, `rejected after ${took} ms`);
        // Once A goes on, it tells the new broker, and the same call goes through.
        await cdp.send("Debugger.resume");
        const second = await c.page.evaluate(async (name) => {
          const db = await window.wsq.open(name);
          await db.exec("INSERT INTO chaos VALUES ('c', 0, 1)");
          return (await db.query("SELECT count(*) AS n FROM chaos WHERE call = 'c'"))[0].n;
        }, name);
        assert.equal(second, 1);
      } finally {
        for (const tab of [...run.tabs]) await run.close(tab);
      }
    },
  );

  it(
    `loses nothing resolved, runs nothing twice and never hangs, for ${SECONDS} s of tabs ending`,
    { skip: unless(can, "opfs", "sharedWorker", "webLocks", "console") },
    async () => {
      const seed = Number(process.env.WSQ_CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
      console.log(`chaos: WSQ_CHAOS_SEED=${seed} WSQ_CHAOS_SECONDS=${SECONDS} (${ENGINE.name})`);
      const name = `chaos-${seed}.db`;
      const run = new Run(name, seed);
      try {
        await run.first();
        for (let i = 0; i < 2; i++) await run.open();
        await run.chaos(SECONDS);
        await run.halt();
        const seen = await contents(name);
        try {
          verify(run, seen);
        } catch (error) {
          // Whether what is missing was on disk all along: every tab closed, the database opened
          // afresh (its WAL read anew).
          for (const tab of [...run.tabs]) await run.close(tab);
          const again = await contents(name);
          const rows = (r) => r.rows.reduce((sum, row) => sum + row.n, 0);
          throw new Error(
            `rows seen at the end: ${rows(seen)}; after every tab closed and the database ` +
              `opened afresh: ${rows(again)} (integrity ${again.check})\n${error.message}`,
            { cause: error },
          );
        }
      } catch (error) {
        console.error(`chaos failed: replay with WSQ_CHAOS_SEED=${seed}\n${run.log.join("\n")}`);
        throw error;
      } finally {
        for (const tab of [...run.tabs]) await run.close(tab);
      }
    },
  );
});
