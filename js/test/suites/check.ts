/**
 * The few assertions the shared suites need, usable where node:assert is not (a page, a browser
 * worker): each throws an Error whose message says what differed. And the loop that runs a suite
 * there.
 */

function show(v: unknown): string {
  if (typeof v === "bigint") return `${v}n`;
  if (v instanceof Uint8Array) return `Uint8Array[${[...v].join(",")}]`;
  if (Array.isArray(v)) return `[${v.map(show).join(", ")}]`;
  if (v && typeof v === "object") {
    return `{${Object.entries(v)
      .map(([k, x]) => `${k}: ${show(x)}`)
      .join(", ")}}`;
  }
  return typeof v === "string" ? JSON.stringify(v) : String(v);
}

function same(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    return a.length === b.length && a.every((x, i) => x === b[i]);
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => same(x, b[i]));
  }
  if (a && b && typeof a === "object" && typeof b === "object") {
    if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return (
      ka.length === kb.length &&
      ka.every((k) => same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
    );
  }
  return false;
}

export function eq(actual: unknown, expected: unknown, what = "value"): void {
  if (!same(actual, expected)) {
    throw new Error(`${what}: expected ${show(expected)}, got ${show(actual)}`);
  }
}

export function ok(value: unknown, what: string): void {
  if (!value) throw new Error(`expected ${what}`);
}

/** Expects fn to throw an error for which match returns true; returns the error. */
export function throws(fn: () => unknown, match: (e: any) => boolean, what: string): unknown {
  try {
    fn();
  } catch (e) {
    if (!match(e)) throw new Error(`${what}: unexpected error ${String(e)}`);
    return e;
  }
  throw new Error(`${what}: expected an error, none was thrown`);
}

/** Expects promise to reject with an error for which match returns true; returns the error. */
export async function rejects(
  promise: Promise<unknown>,
  match: (e: any) => boolean,
  what: string,
): Promise<unknown> {
  try {
    await promise;
  } catch (e) {
    if (!match(e)) {
      const err = e as { name?: string; code?: string; message?: string };
      throw new Error(`${what}: unexpected error ${err?.name} ${err?.code}: ${err?.message}`);
    }
    return e;
  }
  throw new Error(`${what}: expected a rejection, it resolved`);
}

/**
 * Values that arrive one by one (change events, a watched query's rows): push is the callback to
 * hand out, next() the oldest not taken yet, waiting for it; what names it in a failure.
 */
export function arrivals<T>(what: string): {
  push: (value: T) => void;
  next(): Promise<T>;
  count(): number;
} {
  const queue: T[] = [];
  let wake = () => {};
  return {
    push: (value) => {
      queue.push(value);
      wake();
    },
    async next() {
      // Generous: a value comes within milliseconds, or never (then the case fails).
      const giveUp = Date.now() + 20_000;
      while (queue.length === 0) {
        ok(Date.now() < giveUp, what);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 1000);
        });
      }
      return queue.shift()!;
    },
    count: () => queue.length,
  };
}

/** The outcome of one case of a suite run where node:test is not (a page, a worker). */
/** Why a case stays out of a suite's keyed run (KEYLESS): it is about keys itself. */
export const CHOOSES_ITS_KEYS = "chooses the key of each open itself (none, a wrong one, another)";

export interface CaseResult {
  name: string;
  ok: boolean;
  error?: string;
}

/** Runs every case with ctx, in order, and says how each ended. */
export async function runCases<C>(
  cases: [name: string, run: (ctx: C) => unknown][],
  ctx: C,
): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const [name, run] of cases) {
    try {
      await run(ctx);
      results.push({ name, ok: true });
    } catch (e) {
      const err = e as Error | undefined;
      results.push({
        name,
        ok: false,
        error: `${err?.name}: ${err?.message}\n${err?.stack ?? ""}`,
      });
    }
  }
  return results;
}
