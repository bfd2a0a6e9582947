/**
 * Sends a blob's bytes on the raw HTTP response, the registry's hottest path (a herd of servers
 * pulling the same layer at once).
 *
 * Not a read stream piped into the response: a stream allocates a fresh buffer for every chunk
 * (64 KiB by default), and with 8 clients pulling one 32 MiB blob that served about half of
 * Distribution's throughput (docs/benchmarks.md, the herd row). Here each response holds at most
 * two 1 MiB buffers from a shared pool: one the socket is still sending, one being filled from
 * the file. A buffer goes back to the pool only when its write has completed (the kernel holds
 * its own copy then), so no response ever sees another's bytes.
 *
 * @module
 */
import type { ServerResponse } from 'node:http';
import type { BlobFile } from '../../registry/blob-store.js';

/** Bytes read from the file and written to the socket at a time (1 MiB measured best, 4 MiB worse). */
export const chunkBytes = 1024 * 1024;

/** Buffers a response may hold at once: being sent, or one being sent and one being filled. */
const perResponse = 2;

/** Idle buffers kept for the next responses (16 MiB); more are left to the garbage collector. */
const maxPooled = 16;

const pool: Buffer[] = [];

function release(buffer: Buffer): void {
  if (pool.length < maxPooled) pool.push(buffer);
}

/** Why a send stopped early: the client went away, or the file ended before `end`. */
export type SendOutcome = 'sent' | 'client-gone' | 'file-short';

/**
 * Writes bytes `start` to `end` (exclusive) of `file` to `res`, whose head the caller has
 * written, ends the response, and closes the file. A file shorter than `end` or a read error
 * ends the connection once the bytes already written are sent (the client sees a short body,
 * never wrong bytes); a read error then rejects with that error.
 */
export async function sendBlobBytes(res: ServerResponse, file: BlobFile, start: number, end: number): Promise<SendOutcome> {
  /** Buffers written and not yet sent. */
  let held = 0;
  let wake: (() => void) | undefined;
  let gone = res.destroyed;
  const onClose = () => {
    if (!res.writableFinished) gone = true;
    wake?.();
  };
  res.on('close', onClose);
  const waitForBuffer = () =>
    new Promise<void>((resolve) => {
      wake = resolve;
    });
  // The bytes already written reach the client, then the connection ends without the rest.
  const cutShort = async () => {
    while (held > 0 && !gone) await waitForBuffer();
    res.destroy();
  };
  try {
    let position = start;
    while (position < end) {
      while (held >= perResponse && !gone) await waitForBuffer();
      if (gone) return 'client-gone';
      const buffer = pool.pop() ?? Buffer.allocUnsafeSlow(chunkBytes);
      const read = await file.read(buffer, Math.min(chunkBytes, end - position), position).catch(async (error: unknown) => {
        await cutShort();
        throw error;
      });
      if (read === 0) {
        release(buffer);
        await cutShort();
        return 'file-short';
      }
      position += read;
      held++;
      res.write(read === chunkBytes ? buffer : buffer.subarray(0, read), (error) => {
        held--;
        // A failed write may not have let go of the buffer: leave it to the garbage collector.
        if (!error) release(buffer);
        wake?.();
      });
    }
    res.end();
    return 'sent';
  } finally {
    res.off('close', onClose);
    await file.close().catch(() => undefined);
  }
}
