/**
 * Blob bytes in shared, reference-counted 1 MiB chunks, for serving pulls. A herd of servers
 * pulling the same layer at once asks for the same chunks within moments of each other: each
 * chunk is then read from the file once and sent to all of them from one buffer, instead of
 * once per client. Chunks are read-only once filled; a chunk's buffer is reused (for another
 * chunk) only when nobody holds it, and every holder releases it only once the socket is done
 * with it, so no response ever sends another chunk's bytes.
 *
 * Memory: the chunks being sent (each response holds at most two), up to {@link keepChunks}
 * recently sent ones kept for the next asker, and up to {@link poolBuffers} spare buffers; the
 * kept and spare ones are dropped once no chunk was asked for during {@link idleMs}.
 *
 * A blob's bytes never change under its digest (digests are verified before a blob is stored),
 * so a chunk is keyed by digest and index; who may read it was decided before it is asked for.
 *
 * @module
 */
import type { BlobFile } from './blob-store.js';

/** Bytes per chunk: 1 MiB measured best for the herd pull (256 KiB cost 30% more CPU; 4 MiB no better). */
export const chunkBytes = 1024 * 1024;

/** Chunks nobody holds that are kept for the next asker (16 MiB): 8 clients in step share about 9 reads in 10. */
export const keepChunks = 16;

/** Spare buffers kept for the next chunks (16 MiB). */
export const poolBuffers = 16;

/**
 * After this long with no chunk asked for, kept chunks and spare buffers are dropped: a herd's
 * pulls come within seconds of each other, and an idle server should not hold 32 MiB for nobody.
 */
export const idleMs = 30_000;

/** One chunk of one blob; `bytes` is what the file held (shorter than asked: the file is short). */
export interface Chunk {
  readonly bytes: Buffer;
}

interface Entry extends Chunk {
  bytes: Buffer;
  key: string;
  buffer: Buffer;
  refs: number;
  /** False once a holder's write failed: the socket may not have let go of it, so it is never reused. */
  reusable: boolean;
  filled: Promise<void>;
}

export class BlobChunks {
  readonly #entries = new Map<string, Entry>();
  readonly #pool: Buffer[] = [];
  #lastAsked = 0;
  #trimTimer: NodeJS.Timeout | undefined;

  constructor(private readonly idle = idleMs) {}

  /**
   * Chunk `index` of blob `digest` (of `size` bytes), read from `file` unless someone has it.
   * The caller must {@link release} it exactly once. Rejects when the read fails.
   */
  async acquire(digest: string, size: number, index: number, file: BlobFile): Promise<Chunk> {
    this.#lastAsked = Date.now();
    const key = `${digest}/${index}`;
    let entry = this.#entries.get(key);
    if (entry) {
      // Most recently asked for last: eviction takes the oldest first.
      this.#entries.delete(key);
      this.#entries.set(key, entry);
      entry.refs++;
    } else {
      const buffer = this.#pool.pop() ?? Buffer.allocUnsafeSlow(chunkBytes);
      const length = Math.max(0, Math.min(chunkBytes, size - index * chunkBytes));
      const fresh: Entry = { key, buffer, bytes: buffer.subarray(0, 0), refs: 1, reusable: true, filled: Promise.resolve() };
      fresh.filled = fill(file, buffer, length, index * chunkBytes).then(
        (read) => {
          fresh.bytes = buffer.subarray(0, read);
          // A short file is not a chunk to share: the next asker reads it again.
          if (read < length) this.#forget(fresh);
        },
        (error: unknown) => {
          this.#forget(fresh);
          throw error;
        },
      );
      this.#entries.set(key, fresh);
      entry = fresh;
    }
    try {
      await entry.filled;
    } catch (error) {
      this.release(entry);
      throw error;
    }
    return entry;
  }

  /** Gives back a chunk from {@link acquire}; `reusable: false` when a write of it failed. */
  release(chunk: Chunk, reusable = true): void {
    const entry = chunk as Entry;
    entry.refs--;
    if (!reusable) entry.reusable = false;
    if (entry.refs === 0 && this.#entries.get(entry.key) !== entry) this.#recycle(entry);
    this.#evict(keepChunks);
    this.#scheduleTrim();
  }

  /** Chunks held or kept, and spare buffers (for tests and metrics). */
  stats(): { held: number; kept: number; spare: number } {
    let held = 0;
    for (const e of this.#entries.values()) if (e.refs > 0) held++;
    return { held, kept: this.#entries.size - held, spare: this.#pool.length };
  }

  /** Drops every chunk nobody holds and every spare buffer. */
  trim(): void {
    this.#evict(0);
    this.#pool.length = 0;
  }

  #forget(entry: Entry): void {
    if (this.#entries.get(entry.key) === entry) this.#entries.delete(entry.key);
  }

  /** Drops the oldest chunks nobody holds until at most `keep` of them are left. */
  #evict(keep: number): void {
    let unheld = 0;
    for (const e of this.#entries.values()) if (e.refs === 0) unheld++;
    for (const e of this.#entries.values()) {
      if (unheld <= keep) break;
      if (e.refs > 0) continue;
      this.#entries.delete(e.key);
      this.#recycle(e);
      unheld--;
    }
  }

  #recycle(entry: Entry): void {
    if (entry.reusable && this.#pool.length < poolBuffers) this.#pool.push(entry.buffer);
  }

  #scheduleTrim(): void {
    if (this.#trimTimer) return;
    const check = () => {
      this.#trimTimer = undefined;
      const quiet = Date.now() - this.#lastAsked;
      if (quiet >= this.idle) this.trim();
      else this.#trimTimer = setTimeout(check, this.idle - quiet).unref();
    };
    this.#trimTimer = setTimeout(check, this.idle).unref();
  }
}

/** Reads `length` bytes at `position` into `buffer` (a read may return fewer); fewer only at the end of the file. */
async function fill(file: BlobFile, buffer: Buffer, length: number, position: number): Promise<number> {
  let read = 0;
  while (read < length) {
    const n = await file.read(buffer.subarray(read), length - read, position + read);
    if (n === 0) break;
    read += n;
  }
  return read;
}
