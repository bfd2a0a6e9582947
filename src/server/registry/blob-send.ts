/**
 * Sends a blob's bytes on the raw HTTP response, the registry's hottest path (a herd of servers
 * pulling the same layer at once).
 *
 * Not a read stream piped into the response: a stream allocates a fresh buffer for every chunk
 * (64 KiB by default) and reads the file once per client; with 8 clients pulling one 32 MiB
 * blob that served about half of Distribution's throughput (docs/benchmarks.md, the herd row).
 * Here the bytes come in shared 1 MiB chunks ({@link BlobChunks}), at most two per response:
 * one the socket is still sending, one being filled. A chunk is released only when its write
 * has completed or the connection is gone.
 *
 * @module
 */
import type { ServerResponse } from 'node:http';
import { chunkBytes, type BlobChunks, type Chunk } from '../../registry/blob-chunks.js';
import type { BlobFile } from '../../registry/blob-store.js';

/** Chunks a response may hold at once: being sent, or one being sent and one being filled. */
const perResponse = 2;

/** Why a send stopped: done, the client went away, or the file ended before the blob's size. */
export type SendOutcome = 'sent' | 'client-gone' | 'file-short';

/** What to send: bytes `start` to `end` (exclusive) of blob `digest`, which has `size` bytes. */
export interface BlobSlice {
  digest: string;
  size: number;
  start: number;
  end: number;
}

/**
 * Writes `slice` of the blob opened as `file` to `res`, whose head the caller has written, ends
 * the response, and closes the file. A file shorter than the blob or a read error ends the
 * connection once the bytes already written are sent (the client sees a short body, never
 * wrong bytes); a read error then rejects with that error.
 */
export async function sendBlobBytes(res: ServerResponse, chunks: BlobChunks, file: BlobFile, slice: BlobSlice): Promise<SendOutcome> {
  /** Chunks written and not yet sent; each is released once, by its write's callback or when the connection closes. */
  const pending = new Set<{ chunk: Chunk }>();
  let wake: (() => void) | undefined;
  let gone = res.destroyed;
  const onClose = () => {
    if (!res.writableFinished) gone = true;
    // A write issued as the socket died may never call back: release what is still out.
    for (const write of pending) chunks.release(write.chunk, false);
    pending.clear();
    wake?.();
  };
  res.on('close', onClose);
  const waitForWrite = () =>
    new Promise<void>((resolve) => {
      wake = resolve;
    });
  // The bytes already written reach the client, then the connection ends without the rest.
  const cutShort = async () => {
    while (pending.size > 0 && !gone) await waitForWrite();
    res.destroy();
  };
  try {
    let position = slice.start;
    while (position < slice.end) {
      while (pending.size >= perResponse && !gone) await waitForWrite();
      if (gone) return 'client-gone';
      const index = Math.floor(position / chunkBytes);
      const chunk = await chunks.acquire(slice.digest, slice.size, index, file).catch(async (error: unknown) => {
        await cutShort();
        throw error;
      });
      const from = position - index * chunkBytes;
      const to = Math.min(chunk.bytes.length, slice.end - index * chunkBytes);
      if (to <= from) {
        chunks.release(chunk);
        await cutShort();
        return 'file-short';
      }
      if (gone) {
        chunks.release(chunk);
        return 'client-gone';
      }
      position += to - from;
      const write = { chunk };
      pending.add(write);
      res.write(chunk.bytes.subarray(from, to), (error) => {
        if (!pending.delete(write)) return;
        chunks.release(chunk, !error);
        wake?.();
      });
    }
    res.end();
    return 'sent';
  } finally {
    // Keep listening while writes are out: 'close' comes after the last callback, or instead of it.
    if (pending.size === 0) res.off('close', onClose);
    await file.close().catch(() => undefined);
  }
}
