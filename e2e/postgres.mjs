/**
 * A PostgreSQL 15 cluster of the tests' own (Debian's `postgresql`): initdb in a directory of its
 * own, listening on 127.0.0.1 at a free port, `wal_level = logical`, run as the `postgres` user
 * when the tests run as root. Stopped by its pid, never by name.
 *
 *   const pg = await startPostgres();        // pg.url: postgres://postgres@127.0.0.1:PORT/postgres
 *   await pg.restart();                      // a fast shutdown and a start on the same data
 *   await pg.stop();                         // and the directory is removed
 */
import { execFileSync, spawn } from "node:child_process";
import { chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const BIN = "/usr/lib/postgresql/15/bin";

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** The uid and gid the cluster runs as: postgres's when we are root (initdb refuses root). */
function owner() {
  if (process.getuid() !== 0) return null;
  const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
  const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
  return { uid, gid };
}

/**
 * Starts a cluster; `dir` (optional) keeps its data there across runs (make demo), else a
 * temporary directory is made and removed by stop().
 */
export async function startPostgres({ dir, log = false } = {}) {
  if (!existsSync(`${BIN}/postgres`)) {
    throw new Error(`PostgreSQL 15 is not installed (${BIN}): run scripts/setup.sh`);
  }
  const user = owner();
  const temporary = dir === undefined;
  const root = dir ?? mkdtempSync(join(tmpdir(), "wsq-pg-"));
  mkdirSync(root, { recursive: true });
  const data = join(root, "data");
  const as = user ? { uid: user.uid, gid: user.gid } : {};
  if (user) chownSync(root, user.uid, user.gid);
  if (!existsSync(join(data, "PG_VERSION"))) {
    execFileSync(`${BIN}/initdb`, ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8"], {
      ...as,
      stdio: "ignore",
    });
    writeFileSync(
      join(data, "postgresql.auto.conf"),
      [
        "wal_level = logical",
        "max_wal_senders = 10",
        "max_replication_slots = 10",
        "fsync = on",
        "unix_socket_directories = ''",
        "listen_addresses = '127.0.0.1'",
        "max_connections = 200",
        "shared_buffers = 64MB",
        "",
      ].join("\n"),
    );
    if (user) chownSync(join(data, "postgresql.auto.conf"), user.uid, user.gid);
  }
  const port = await freePort();
  let child = null;

  async function start() {
    child = spawn(`${BIN}/postgres`, ["-D", data, "-p", String(port)], {
      ...as,
      stdio: ["ignore", log ? "inherit" : "ignore", log ? "inherit" : "ignore"],
    });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.exited = exited;
    // Ready once it accepts a connection (pg_isready).
    for (let i = 0; ; i++) {
      if (child.exitCode !== null) throw new Error(`postgres exited with ${child.exitCode}`);
      try {
        execFileSync(`${BIN}/pg_isready`, ["-h", "127.0.0.1", "-p", String(port), "-q"]);
        return;
      } catch {
        if (i > 1200) throw new Error("postgres did not accept connections within 120 s");
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** A fast shutdown (SIGINT: active transactions roll back), waited for. */
  async function shutdown(signal = "SIGINT") {
    if (!child || child.exitCode !== null) return;
    const { exited } = child;
    child.kill(signal);
    await exited;
  }

  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dir: root,
    get pid() {
      return child?.pid;
    },
    /** Stops postgres and starts it again on the same data and port. */
    async restart(signal = "SIGINT") {
      await shutdown(signal);
      await start();
    },
    async stop() {
      await shutdown();
      if (temporary) rmSync(root, { recursive: true, force: true });
    },
  };
}
