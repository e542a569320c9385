/**
 * A file in memory as fixed-size blocks, which remembers what changed since it was last saved:
 * the IndexedDB store (idb.ts) keeps each database's files so while they are open, and saves the
 * changed blocks. Blocks never written read as zeros.
 */

/** The bytes of one block; the file's last block is stored whole, zero after the file's end. */
export const BLOCK_SIZE = 8192;

/** What changed since the last save (see take()). */
export interface BlockChanges {
  size: number;
  /** The changed blocks, by index, each of BLOCK_SIZE bytes: the file's own, to store at once. */
  blocks: [number, Uint8Array][];
  /** Stored blocks from this index on are gone (the file was cut shorter); null for none. */
  cutFrom: number | null;
}

export class BlockFile {
  private length = 0;
  private readonly blocks: (Uint8Array | undefined)[] = [];
  private readonly dirty = new Set<number>();
  private cutFrom: number | null = null;

  get size(): number {
    return this.length;
  }

  /** Whether anything changed since the last take(). */
  get changed(): boolean {
    return this.dirty.size > 0 || this.cutFrom !== null;
  }

  /** Copies into dest from offset; returns the bytes read (fewer at the end of the file). */
  read(dest: Uint8Array, offset: number): number {
    const n = Math.max(0, Math.min(dest.length, this.length - offset));
    for (let done = 0; done < n;) {
      const at = offset + done;
      const index = Math.floor(at / BLOCK_SIZE);
      const within = at - index * BLOCK_SIZE;
      const count = Math.min(n - done, BLOCK_SIZE - within);
      const block = this.blocks[index];
      const part = dest.subarray(done, done + count);
      if (block) part.set(block.subarray(within, within + count));
      else part.fill(0);
      done += count;
    }
    return n;
  }

  /** Writes src at offset, growing the file (with zeros between its end and offset). */
  write(src: Uint8Array, offset: number): void {
    for (let done = 0; done < src.length;) {
      const at = offset + done;
      const index = Math.floor(at / BLOCK_SIZE);
      const within = at - index * BLOCK_SIZE;
      const count = Math.min(src.length - done, BLOCK_SIZE - within);
      const block = (this.blocks[index] ??= new Uint8Array(BLOCK_SIZE));
      block.set(src.subarray(done, done + count), within);
      this.dirty.add(index);
      done += count;
    }
    this.length = Math.max(this.length, offset + src.length);
  }

  /** Sets the size: cut (the bytes after it are gone, and read as zeros if it grows again) or grown. */
  truncate(size: number): void {
    if (size < this.length) {
      const kept = Math.ceil(size / BLOCK_SIZE);
      this.blocks.length = Math.min(this.blocks.length, kept);
      for (const index of this.dirty) if (index >= kept) this.dirty.delete(index);
      this.cutFrom = Math.min(this.cutFrom ?? kept, kept);
      const last = this.blocks[kept - 1];
      if (last && size % BLOCK_SIZE !== 0) {
        last.fill(0, size % BLOCK_SIZE);
        this.dirty.add(kept - 1);
      }
    }
    this.length = size;
  }

  /** The changes since the last take(), which starts a new round; undo() gives them back. */
  take(): BlockChanges {
    const blocks: [number, Uint8Array][] = [];
    for (const index of [...this.dirty].sort((a, b) => a - b)) {
      const block = this.blocks[index];
      if (block) blocks.push([index, block]);
    }
    const changes = { size: this.length, blocks, cutFrom: this.cutFrom };
    this.dirty.clear();
    this.cutFrom = null;
    return changes;
  }

  /** The changes of a take() that were not saved: they are saved with the next one. */
  undo(changes: BlockChanges): void {
    for (const [index] of changes.blocks) if (index < this.blocks.length) this.dirty.add(index);
    if (changes.cutFrom !== null)
      this.cutFrom = Math.min(this.cutFrom ?? changes.cutFrom, changes.cutFrom);
  }

  /** Everything is a change: saved whole with the next save (after a load of another layout). */
  touchAll(): void {
    this.cutFrom = 0;
    for (let i = 0; i < this.blocks.length; i++) this.dirty.add(i);
  }
}
