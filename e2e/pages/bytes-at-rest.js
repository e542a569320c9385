// The bytes of a database's files as a browser keeps them, read from the page (the suites'
// bytesAtRest): OPFS files, or IndexedDB records (runtime/hosts/idb.ts: "files" holds each
// path's size, "blocks" its blocks by [path, index]). OPFS files cannot be read while the
// worker holds their access handles: while the database is open, that storage gives none.
const SIDES = ["", "-wal", "-journal"];

async function opfsFiles(name) {
  const root = await navigator.storage.getDirectory();
  const out = [];
  for (const side of SIDES) {
    try {
      const file = await (await root.getFileHandle(name + side)).getFile();
      out.push(new Uint8Array(await file.arrayBuffer()));
    } catch (e) {
      if (e.name !== "NotFoundError") throw e;
    }
  }
  return out;
}

function request(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

async function idbFiles(name) {
  const idb = await request(indexedDB.open("web-sqlite"));
  try {
    const out = [];
    for (const side of SIDES) {
      const path = name + side;
      const tx = idb.transaction(["files", "blocks"], "readonly");
      const record = await request(tx.objectStore("files").get(path));
      if (!record) continue;
      const range = IDBKeyRange.bound([path, 0], [path, Infinity]);
      const keys = await request(tx.objectStore("blocks").getAllKeys(range));
      const blocks = await request(tx.objectStore("blocks").getAll(range));
      const bytes = new Uint8Array(record.size);
      keys.forEach(([, index], i) => {
        const at = index * record.blockSize;
        if (at < bytes.length) bytes.set(blocks[i].subarray(0, bytes.length - at), at);
      });
      out.push(bytes);
    }
    return out;
  } finally {
    idb.close();
  }
}

export function bytesAtRest(storage) {
  return async (name, whileOpen) => {
    if (storage === "idb") return idbFiles(name);
    return whileOpen ? [] : opfsFiles(name);
  };
}
