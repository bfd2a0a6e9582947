import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BlobChunks, chunkBytes, keepChunks } from './blob-chunks.js';
import type { BlobFile } from './blob-store.js';

const digest = 'sha256:' + 'a'.repeat(64);
const hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** A file over `data` counting its reads; each read waits a turn of the event loop, as a real one does. */
function fileOf(data: Buffer, options: { most?: number; failAt?: number } = {}) {
  const file = {
    reads: 0,
    read: async (buffer: Buffer, length: number, position: number) => {
      file.reads++;
      await new Promise((r) => setImmediate(r));
      if (position >= (options.failAt ?? Number.POSITIVE_INFINITY)) throw new Error('EIO: the disk went away');
      return data.copy(buffer, 0, position, Math.min(position + Math.min(length, options.most ?? length), data.length));
    },
    close: async () => undefined,
  } satisfies BlobFile & { reads: number };
  return file;
}

describe('BlobChunks', () => {
  it('concurrent askers of one chunk share one read and one buffer; it is kept for the next asker', async () => {
    const data = randomBytes(2 * chunkBytes + 10);
    const file = fileOf(data, { most: 300_000 });
    const chunks = new BlobChunks();
    const [a, b] = await Promise.all([chunks.acquire(digest, data.length, 1, file), chunks.acquire(digest, data.length, 1, file)]);
    expect(a).toBe(b);
    expect(a.bytes.equals(data.subarray(chunkBytes, 2 * chunkBytes))).toBe(true);
    expect(file.reads).toBe(4); // 1 MiB in reads of at most 300,000 bytes, once for both
    chunks.release(a);
    chunks.release(b);
    const last = await chunks.acquire(digest, data.length, 2, file);
    expect(last.bytes.equals(data.subarray(2 * chunkBytes))).toBe(true);
    chunks.release(last);
    const again = await chunks.acquire(digest, data.length, 1, file);
    expect({ same: again === a, reads: file.reads, stats: chunks.stats() }).toEqual({ same: true, reads: 5, stats: { held: 1, kept: 1, spare: 0 } });
  });

  it('a held chunk keeps its bytes while many others come and go; at most keepChunks unheld ones are kept', async () => {
    const data = randomBytes((keepChunks + 8) * chunkBytes);
    const file = fileOf(data);
    const chunks = new BlobChunks();
    const held = await chunks.acquire(digest, data.length, 0, file);
    const before = hex(held.bytes);
    for (let i = 1; i < keepChunks + 8; i++) {
      const c = await chunks.acquire(digest, data.length, i, file);
      expect(hex(c.bytes)).toBe(hex(data.subarray(i * chunkBytes, (i + 1) * chunkBytes)));
      chunks.release(c);
    }
    expect(hex(held.bytes)).toBe(before);
    // Each evicted chunk's buffer served the next chunk: one spare is left.
    expect(chunks.stats()).toEqual({ held: 1, kept: keepChunks, spare: 1 });
    chunks.release(held);
    chunks.trim();
    expect(chunks.stats()).toEqual({ held: 0, kept: 0, spare: 0 });
  });

  it('a file shorter than the blob gives a short chunk that is not kept: the next asker reads again', async () => {
    const data = randomBytes(chunkBytes + 100);
    const file = fileOf(data);
    const chunks = new BlobChunks();
    const short = await chunks.acquire(digest, data.length + 500, 1, file);
    expect(short.bytes.length).toBe(100);
    chunks.release(short);
    const again = await chunks.acquire(digest, data.length + 500, 1, file);
    expect({ same: again === short, reads: file.reads }).toEqual({ same: false, reads: 4 });
    chunks.release(again);
  });

  it('a read error rejects every asker of that chunk and leaves nothing held or kept', async () => {
    const data = randomBytes(2 * chunkBytes);
    const chunks = new BlobChunks();
    const failing = fileOf(data, { failAt: chunkBytes });
    const asks = await Promise.allSettled([chunks.acquire(digest, data.length, 1, failing), chunks.acquire(digest, data.length, 1, failing)]);
    expect(asks.map((a) => a.status)).toEqual(['rejected', 'rejected']);
    expect(chunks.stats()).toEqual({ held: 0, kept: 0, spare: 1 });
    const ok = await chunks.acquire(digest, data.length, 1, fileOf(data));
    expect(ok.bytes.equals(data.subarray(chunkBytes))).toBe(true);
    chunks.release(ok);
  });

  it('a chunk whose write failed never goes back to the spare buffers', async () => {
    const data = randomBytes(chunkBytes);
    const chunks = new BlobChunks();
    const c = await chunks.acquire(digest, data.length, 0, fileOf(data));
    chunks.release(c, false);
    chunks.trim();
    const d = await chunks.acquire(digest, data.length, 0, fileOf(data));
    expect(d).not.toBe(c);
    chunks.release(d);
    expect(chunks.stats().spare).toBe(0);
  });

  it('drops kept chunks and spare buffers once nothing was asked for a while', async () => {
    const data = randomBytes(3 * chunkBytes);
    const chunks = new BlobChunks(50);
    for (let i = 0; i < 3; i++) chunks.release(await chunks.acquire(digest, data.length, i, fileOf(data)));
    expect(chunks.stats()).toEqual({ held: 0, kept: 3, spare: 0 });
    const deadline = Date.now() + 5_000;
    while (chunks.stats().kept > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(chunks.stats()).toEqual({ held: 0, kept: 0, spare: 0 });
  });
});
