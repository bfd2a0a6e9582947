/**
 * Zip and JAR artifacts: the central directory (with Zip64 and prepended data, e.g. a launch
 * script) gives every entry; bytes are read by offset and inflated with zlib's raw inflate,
 * checked against the recorded size and CRC-32 (a lying size cannot inflate past it).
 *
 * @module
 */
import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createInflateRaw, inflateRawSync } from 'node:zlib';
import type { ArchiveLimits } from '../types.js';
import { Budget, finishTree, tooLarge, type Archive, type ArchiveEntry, type RawEntry } from './entries.js';
import { collect, crc32, readExactly, readRange } from './file-io.js';
import { normaliseEntryPath, unsafe } from './paths.js';
import { invalid } from './tar-header.js';
import { findDirectory } from './zip-directory.js';

const maxLinkBytes = 4096;
/** Entries up to this size (packed and unpacked) are inflated in one call (faster for many small files). */
const inflateWholeBytes = 1024 * 1024;

export async function openZip(path: string, limits: ArchiveLimits): Promise<Archive> {
  const fh = await open(path, 'r');
  try {
    const short = (): Error => invalid('the zip archive is truncated');
    const dir = await findDirectory(fh, short);
    if (dir.count === 0) throw invalid('the archive is empty');
    if (dir.count > limits.maxEntries) throw tooLarge(`has more than ${limits.maxEntries} entries`);
    const cd = await readExactly(fh, dir.base + dir.offset, dir.size, short);
    const budget = new Budget(limits, (await fh.stat()).size);
    const raw: RawEntry[] = [];
    let pos = 0;
    for (let i = 0; i < dir.count; i++) {
      const entry = parseCentralEntry(cd, pos);
      pos = entry.next;
      budget.add(entry.entry.size);
      raw.push(entry.entry);
    }
    const read = (entry: ArchiveEntry): AsyncIterable<Buffer> => readEntry(fh, dir.base, entry, short);
    for (const e of raw) {
      if (e.type !== 'symlink') continue;
      if (e.size > maxLinkBytes) throw invalid(`zip symlink ${JSON.stringify(e.rawName)} has a ${e.size}-byte target`);
      e.linkTarget = (await collect(read({ ...e, type: 'file' }), maxLinkBytes, `symlink ${e.rawName}`)).toString('utf8');
      e.size = 0;
    }
    const entries = finishTree(raw);
    return {
      format: 'zip',
      entries,
      read,
      readSmall: (entry, max) => collect(read(entry), max, `archive entry ${JSON.stringify(entry.path)}`),
      close: () => fh.close(),
    };
  } catch (error) {
    await fh.close();
    throw error;
  }
}

/** One central directory record → an entry; `next` is where the following record starts. */
function parseCentralEntry(cd: Buffer, pos: number): { entry: RawEntry; next: number } {
  if (pos + 46 > cd.length || cd.readUInt32LE(pos) !== 0x02014b50) throw invalid('the zip central directory is corrupt');
  const madeBy = cd.readUInt16LE(pos + 4);
  const flags = cd.readUInt16LE(pos + 8);
  const method = cd.readUInt16LE(pos + 10);
  const crc = cd.readUInt32LE(pos + 16);
  let compressedSize = cd.readUInt32LE(pos + 20);
  let size = cd.readUInt32LE(pos + 24);
  const nameLength = cd.readUInt16LE(pos + 28);
  const extraLength = cd.readUInt16LE(pos + 30);
  const commentLength = cd.readUInt16LE(pos + 32);
  const external = cd.readUInt32LE(pos + 38);
  let headerOffset = cd.readUInt32LE(pos + 42);
  const next = pos + 46 + nameLength + extraLength + commentLength;
  if (next > cd.length) throw invalid('the zip central directory is corrupt');
  const rawName = cd.toString('utf8', pos + 46, pos + 46 + nameLength);
  // Zip64 extended information: only the fields whose 32-bit value is saturated, in this order.
  const extra = cd.subarray(pos + 46 + nameLength, pos + 46 + nameLength + extraLength);
  for (let at = 0; at + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(at);
    const length = extra.readUInt16LE(at + 2);
    if (id === 0x0001) {
      let field = at + 4;
      const take = (): number => {
        if (field + 8 > at + 4 + length) throw invalid(`zip entry ${JSON.stringify(rawName)} has a malformed Zip64 field`);
        const value = Number(extra.readBigUInt64LE(field));
        field += 8;
        return value;
      };
      if (size === 0xffffffff) size = take();
      if (compressedSize === 0xffffffff) compressedSize = take();
      if (headerOffset === 0xffffffff) headerOffset = take();
    }
    at += 4 + length;
  }
  if (flags & 0x1) throw invalid(`zip entry ${JSON.stringify(rawName)} is encrypted, which is not supported`);
  const unixMode = madeBy >> 8 === 3 ? external >>> 16 : 0;
  const kind = unixMode & 0o170000;
  if (kind === 0o020000 || kind === 0o060000 || kind === 0o010000 || kind === 0o140000) throw unsafe(rawName, 'is a device file, FIFO or socket');
  const type: RawEntry['type'] = kind === 0o120000 ? 'symlink' : rawName.endsWith('/') || kind === 0o040000 ? 'dir' : 'file';
  const entry: RawEntry = { path: normaliseEntryPath(rawName), rawName, type, mode: unixMode & 0o7777, size: type === 'dir' ? 0 : size };
  entry.source = { kind: 'zip', headerOffset, method, compressedSize, crc32: crc };
  return { entry, next };
}

async function* readEntry(fh: FileHandle, base: number, entry: ArchiveEntry, short: () => Error): AsyncGenerator<Buffer> {
  const src = entry.source;
  if (src?.kind !== 'zip') throw new Error(`${entry.path} is not a zip entry`);
  const name = JSON.stringify(entry.path);
  const header = await readExactly(fh, base + src.headerOffset, 30, short);
  if (header.readUInt32LE(0) !== 0x04034b50) throw invalid(`zip entry ${name} has no local header where the directory says`);
  const start = base + src.headerOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
  let size = 0;
  let crc = 0;
  const check = (chunk: Buffer): Buffer => {
    size += chunk.length;
    if (size > entry.size) throw invalid(`zip entry ${name} inflates past its recorded size`);
    crc = crc32(chunk, crc);
    return chunk;
  };
  if (src.method === 0) {
    for await (const chunk of readRange(fh, start, src.compressedSize, short)) yield check(chunk);
  } else if (src.method === 8) {
    if (src.compressedSize <= inflateWholeBytes && entry.size <= inflateWholeBytes) {
      const packed = await readExactly(fh, start, src.compressedSize, short);
      let out: Buffer;
      try {
        out = inflateRawSync(packed, { maxOutputLength: Math.max(1, entry.size + 1) });
      } catch {
        throw invalid(`zip entry ${name} is corrupt or inflates past its recorded size`);
      }
      yield check(out);
    } else {
      const inflater = Readable.from(readRange(fh, start, src.compressedSize, short), { objectMode: false }).pipe(createInflateRaw({ chunkSize: 256 * 1024 }));
      try {
        for await (const chunk of inflater as AsyncIterable<Buffer>) yield check(chunk);
      } catch (error) {
        if ((error as { code?: unknown }).code?.toString().startsWith('Z_')) throw invalid(`zip entry ${name} is corrupt`);
        throw error;
      } finally {
        inflater.destroy();
      }
    }
  } else {
    throw invalid(`zip entry ${name} uses compression method ${src.method}; only stored and deflated entries are supported`);
  }
  if (size !== entry.size || crc !== src.crc32) throw invalid(`zip entry ${name} is corrupt (size or CRC-32 mismatch)`);
}
