import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { Connection, VFS } from "../src/bindings/connection.js";
import { NodeFileSystem } from "../src/runtime/hosts/node-fs.js";
import { type Runtime, type RuntimeOptions, loadRuntime } from "../src/runtime/runtime.js";

/** A fresh temporary directory. */
export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "wsq-js-"));
}

/** Loads the real wasm with the node:fs host; the log is collected, not printed. */
export async function runtime(
  options: RuntimeOptions = {},
): Promise<{ rt: Runtime; logs: [number, string][] }> {
  const logs: [number, string][] = [];
  const rt = await loadRuntime({
    host: new NodeFileSystem(),
    log: (c, m) => logs.push([c, m]),
    ...options,
  });
  return { rt, logs };
}

let counter = 0;

/** A memory database with a name of its own. */
export function memoryDb(rt: Runtime): Connection {
  return Connection.open(rt, `mem-${process.pid}-${counter++}.db`, { vfs: VFS.memory });
}
