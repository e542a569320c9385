// The IndexedDB store's files in memory (runtime/hosts/block-file.ts): what SQLite reads back,
// and which blocks a save must store. The store itself runs on the real IndexedDB in the
// browser suites (e2e/).
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { BLOCK_SIZE, BlockFile } from "../src/runtime/hosts/block-file.js";

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);
const read = (f: BlockFile, offset: number, n: number) => {
  const dest = new Uint8Array(n).fill(0xee);
  return { got: f.read(dest, offset), dest };
};

describe("a file of blocks (IndexedDB storage)", () => {
  it("reads back writes across block boundaries, zeros in holes, short at the end", () => {
    const f = new BlockFile();
    f.write(bytes(10, 1), BLOCK_SIZE - 5);
    f.write(bytes(3, 2), 3 * BLOCK_SIZE);
    assert.equal(f.size, 3 * BLOCK_SIZE + 3);
    const { got, dest } = read(f, BLOCK_SIZE - 6, 12);
    assert.equal(got, 12);
    assert.deepEqual([...dest], [0, ...bytes(10, 1), 0]);
    assert.deepEqual([...read(f, 2 * BLOCK_SIZE, 4).dest], [0, 0, 0, 0], "a block never written");
    const end = read(f, 3 * BLOCK_SIZE + 1, 8);
    assert.equal(end.got, 2);
    assert.deepEqual([...end.dest.subarray(0, 3)], [2, 2, 0xee], "nothing past the end is touched");
    assert.equal(read(f, 10 * BLOCK_SIZE, 4).got, 0);
  });

  it("hands out the changed blocks once, and gives back those a save did not store", () => {
    const f = new BlockFile();
    f.write(bytes(BLOCK_SIZE * 2, 7), 0);
    const first = f.take();
    assert.deepEqual(
      first.blocks.map(([i]) => i),
      [0, 1],
    );
    assert.equal(first.size, 2 * BLOCK_SIZE);
    assert.equal(f.changed, false);
    f.write(bytes(1, 9), BLOCK_SIZE + 1);
    const second = f.take();
    assert.deepEqual(
      second.blocks.map(([i]) => i),
      [1],
    );
    assert.equal(second.blocks[0][1][1], 9);
    f.undo(second);
    assert.equal(f.changed, true);
    assert.deepEqual(
      f.take().blocks.map(([i]) => i),
      [1],
      "the unsaved block goes with the next save",
    );
  });

  it("cuts: the bytes after the new end are gone, read as zeros when it grows again", () => {
    const f = new BlockFile();
    f.write(bytes(3 * BLOCK_SIZE, 5), 0);
    f.take();
    f.truncate(BLOCK_SIZE + 10);
    const cut = f.take();
    assert.equal(cut.size, BLOCK_SIZE + 10);
    assert.equal(cut.cutFrom, 2, "stored blocks from 2 on are dropped");
    assert.deepEqual(
      cut.blocks.map(([i]) => i),
      [1],
      "the partial last block is stored again, zero after the end",
    );
    assert.equal(cut.blocks[0][1][10], 0);
    f.truncate(3 * BLOCK_SIZE);
    const { dest } = read(f, BLOCK_SIZE + 8, 4);
    assert.deepEqual([...dest], [5, 5, 0, 0]);
    assert.equal(read(f, 2 * BLOCK_SIZE + 5, 1).dest[0], 0);
    f.undo(cut);
    assert.equal(f.take().cutFrom, 2, "a cut not stored is made with the next save");
  });

  it("touchAll stores the whole file again, from nothing", () => {
    const f = new BlockFile();
    f.write(bytes(BLOCK_SIZE + 1, 3), 0);
    f.take();
    f.touchAll();
    const all = f.take();
    assert.equal(all.cutFrom, 0);
    assert.deepEqual(
      all.blocks.map(([i]) => i),
      [0, 1],
    );
  });
});
