/**
 * The random writes of a sync test's device (a page or a Node process alike): inserts of new
 * rows, updates and deletes of any device's rows, each with a title no other write has
 * ("<name>:<n>"), so that Postgres's audit shows a write applied twice. done(write) is called
 * for each write that resolved. Seeded: a run says its seed, and runs again the same.
 */
export async function workload(db, { name, seed, ms, done, halted = () => false }) {
  let state = seed >>> 0 || 1;
  const random = () => {
    // xorshift32
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  const end = Date.now() + ms;
  for (let n = 0; Date.now() < end && !halted(); n++) {
    const title = `${name}:${n}`;
    const roll = random();
    const ids = await db.query("SELECT id FROM todos ORDER BY id");
    const pick = () => ids[Math.floor(random() * ids.length)].id;
    if (roll < 0.5 || ids.length < 3) {
      const id = `${name}-${n}`;
      await db.exec("INSERT INTO todos (id, title, n) VALUES (?, ?, ?)", [id, title, n]);
      done({ op: "insert", id, title });
    } else if (roll < 0.85) {
      const id = pick();
      await db.exec("UPDATE todos SET title = ?, n = n + 1 WHERE id = ?", [title, id]);
      done({ op: "update", id, title });
    } else if (roll < 0.95) {
      const id = pick();
      await db.exec("DELETE FROM todos WHERE id = ?", [id]);
      done({ op: "delete", id });
    } else {
      // A transaction of three writes: all or nothing, in Postgres too.
      await db.transaction(async (tx) => {
        for (let i = 0; i < 3; i++) {
          const id = `${name}-${n}-${i}`;
          await tx.exec("INSERT INTO todos (id, title, n) VALUES (?, ?, ?)", [
            id,
            `${title}-${i}`,
            n,
          ]);
        }
      });
      for (let i = 0; i < 3; i++)
        done({ op: "insert", id: `${name}-${n}-${i}`, title: `${title}-${i}` });
    }
    await new Promise((r) => setTimeout(r, random() * 20));
  }
}
