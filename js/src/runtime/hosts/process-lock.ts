/**
 * One process at a time per database file in Node. The lock is a listening local socket named
 * after the file: binding it is atomic, a second process gets EADDRINUSE, and the kernel frees
 * it when the process ends, however it ends (a crash or SIGKILL leaves nothing stuck). Linux
 * uses the abstract socket namespace and Windows a named pipe; elsewhere the socket is a file in
 * the temporary directory, and one nobody answers on is left over from a dead process and is
 * replaced.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

export interface ProcessLock {
  release(): void;
}

/** The socket name of a file: the same for every path that leads to it through its directory. */
function socketName(file: string): string {
  let real = file;
  try {
    real = path.join(fs.realpathSync(path.dirname(file)), path.basename(file));
  } catch {
    // The directory does not exist: the open fails anyway; the resolved path names the lock.
  }
  const hash = createHash("sha256").update(real).digest("hex").slice(0, 40);
  if (process.platform === "linux") return `\0web-sqlite-${hash}`;
  if (process.platform === "win32") return `\\\\.\\pipe\\web-sqlite-${hash}`;
  return path.join(os.tmpdir(), `web-sqlite-${hash}.sock`);
}

function listen(name: string): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((socket) => socket.destroy());
    server.once("error", reject);
    server.listen(name, () => {
      server.off("error", reject);
      server.unref(); // the lock never keeps the process alive
      resolve(server);
    });
  });
}

/** Whether a process answers on a file socket (false: it was left by a process that died). */
function answers(name: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(name, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", (e: NodeJS.ErrnoException) => resolve(e.code !== "ECONNREFUSED"));
  });
}

/** Takes the lock of file, or resolves null when another process holds it. */
export async function lockFile(file: string): Promise<ProcessLock | null> {
  const name = socketName(file);
  for (let attempt = 0; ; attempt++) {
    try {
      const server = await listen(name);
      return { release: () => void server.close() };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EADDRINUSE") throw e;
      const stale = !name.startsWith("\0") && !name.startsWith("\\\\") && !(await answers(name));
      if (!stale || attempt > 0) return null;
      fs.rmSync(name, { force: true });
    }
  }
}
