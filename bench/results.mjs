// bench/results/<date>.json: one file per day holding every workload's numbers; each benchmark
// script adds its own section (make bench runs them all), so a partial run keeps the others.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import * as path from "node:path";

import { ROOT } from "../e2e/server.mjs";

export const RESULTS_DIR = path.join(ROOT, "bench/results");

/** Adds (or replaces) one section of today's results file; returns the file's repo path. */
export function record(section, data) {
  const date = new Date().toISOString().slice(0, 10);
  const file = path.join(RESULTS_DIR, `${date}.json`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const all = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : {};
  // Files of the older layout (speed suite only, at the top level) are started afresh.
  const fresh = all.sections === undefined ? { date, sections: {} } : all;
  fresh.machine = machine();
  fresh.sections[section] = { recorded: new Date().toISOString(), ...data };
  writeFileSync(file, `${JSON.stringify(fresh, null, 1)}\n`);
  return path.relative(ROOT, file);
}

/** What the numbers were measured on. */
export function machine() {
  const chromium = process.env.CHROMIUM ?? "/usr/bin/chromium";
  let browser = "unknown";
  try {
    browser = execFileSync(chromium, ["--version"], { stdio: ["ignore", "pipe", "ignore"] })
      .toString()
      .trim();
  } catch {
    // No browser: the Node-only benchmarks still record.
  }
  return {
    cpu: `${cpus().length} x ${cpus()[0]?.model ?? "unknown"}`,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    chromium: browser,
  };
}
