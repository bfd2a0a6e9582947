/**
 * Small file helpers for the builder: positional reads in bounded chunks (so a big file is never
 * held whole), exact reads, a streaming sha256 of a file, and CRC-32.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import * as zlib from 'node:zlib';
import { invalid } from './tar-header.js';

export const readChunkBytes = 1024 * 1024;

/** Reads exactly `length` bytes at `position`, or fails with `onShort()`. */
export async function readExactly(fh: FileHandle, position: number, length: number, onShort: () => Error): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) throw onShort();
    done += bytesRead;
  }
  return buffer;
}

/** Yields `length` bytes from `position` in chunks of at most 1 MiB (fresh buffers). */
export async function* readRange(fh: FileHandle, position: number, length: number, onShort: () => Error): AsyncGenerator<Buffer> {
  let done = 0;
  while (done < length) {
    const n = Math.min(readChunkBytes, length - done);
    yield await readExactly(fh, position + done, n, onShort);
    done += n;
  }
}

/** `sha256:<hex>` of a file, read in chunks. */
export async function sha256File(path: string): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const hash = createHash('sha256');
    const { size } = await fh.stat();
    for await (const chunk of readRange(fh, 0, size, () => new Error(`${path} shrank while being read`))) hash.update(chunk);
    return `sha256:${hash.digest('hex')}`;
  } finally {
    await fh.close();
  }
}

let table: Uint32Array | undefined;

function crcTable(): Uint32Array {
  if (table) return table;
  table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/** CRC-32 (zip's), continuing from `previous`; zlib's native one where Node has it (20.15+). */
export function crc32(data: Buffer, previous = 0): number {
  const native = (zlib as { crc32?: (d: Buffer, v?: number) => number }).crc32;
  if (typeof native === 'function') return native(data, previous);
  const t = crcTable();
  let c = (previous ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++) c = (t[(c ^ (data[i] ?? 0)) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Yields a whole file (`size` bytes) in chunks, opening and closing it. */
export async function* fileChunks(path: string, size: number): AsyncGenerator<Buffer> {
  const fh = await open(path, 'r');
  try {
    yield* readRange(fh, 0, size, () => new Error(`${path} shrank while being read`));
  } finally {
    await fh.close();
  }
}

/** Collects a stream into one buffer, failing past `max` bytes. */
export async function collect(chunks: AsyncIterable<Buffer>, max: number, what: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of chunks) {
    size += chunk.length;
    if (size > max) throw invalid(`${what} is larger than ${max} bytes`);
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}
