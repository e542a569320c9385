/**
 * The storage self-test of both APIs (selfTest()): the VFS of a storage driven end to end on a
 * scratch file.
 */
import { isPersistent } from "../runtime/storages.js";
import type { Storage } from "../runtime/storages.js";
import type { WasmSource } from "../runtime/runtime.js";
import { type SelfTestStep, VFS, runSelfTest } from "./connection.js";
import { type Environment, sharedEnvironment } from "./environment.js";

export interface SelfTestReport {
  /** Whether every step passed. */
  ok: boolean;
  storage: Storage;
  steps: SelfTestStep[];
}

/**
 * Checks the storage's VFS end to end with a scratch file: open, write, read back, sync, size,
 * truncate, short read, locking between two handles, close, access, delete; each step reported
 * with its time. The scratch file is removed.
 */
export async function selfTest(
  storage?: Storage,
  options: { wasm?: WasmSource; environment?: Environment } = {},
): Promise<SelfTestReport> {
  const environment = options.environment ?? (await sharedEnvironment(options.wasm));
  const preferred = storage ? null : await environment.stores.preferred();
  const kind = storage ?? (typeof preferred === "object" ? preferred!.kind : "memory");
  if (!isPersistent(kind)) {
    const steps = runSelfTest(await environment.runtimes.ready(false), VFS.memory, "self-test");
    return { ok: steps.every((s) => s.ok), storage: kind, steps };
  }
  const store = environment.stores.get(kind);
  const path = store.scratch("self-test");
  await store.acquire(path);
  try {
    const steps = runSelfTest(await environment.runtimes.ready(false), VFS.host, path);
    return { ok: steps.every((s) => s.ok), storage: kind, steps };
  } finally {
    await store.release(path);
  }
}
