/**
 * Finding a zip's central directory: the end-of-central-directory record (searched backwards
 * over the comment), its Zip64 variant, and the offset of any data prepended to the zip.
 *
 * @module
 */
import type { FileHandle } from 'node:fs/promises';
import { readExactly } from './file-io.js';
import { invalid } from './tar-header.js';

export interface CentralDirectory {
  /** Entries it lists. */
  count: number;
  /** Its size and offset, as recorded. */
  size: number;
  offset: number;
  /** Bytes prepended to the zip (recorded offsets are relative to the zip's own start). */
  base: number;
}

const eocdBytes = 22;
const maxComment = 0xffff;

export async function findDirectory(fh: FileHandle, short: () => Error): Promise<CentralDirectory> {
  const { size: fileSize } = await fh.stat();
  if (fileSize < eocdBytes) throw invalid('the zip archive is truncated');
  const tailLength = Math.min(fileSize, eocdBytes + maxComment);
  const tail = await readExactly(fh, fileSize - tailLength, tailLength, short);
  let at = -1;
  for (let i = tail.length - eocdBytes; i >= 0; i--) {
    if (tail.readUInt32LE(i) === 0x06054b50 && i + eocdBytes + tail.readUInt16LE(i + 20) <= tail.length) {
      at = i;
      break;
    }
  }
  if (at < 0) throw invalid('the zip archive is corrupt or truncated (no end of central directory)');
  const eocdPos = fileSize - tailLength + at;
  let count = tail.readUInt16LE(at + 10);
  let size = tail.readUInt32LE(at + 12);
  let offset = tail.readUInt32LE(at + 16);
  let end = eocdPos;
  if (count === 0xffff || size === 0xffffffff || offset === 0xffffffff) {
    if (eocdPos < 20) throw invalid('the zip archive is corrupt (no Zip64 locator)');
    const locator = await readExactly(fh, eocdPos - 20, 20, short);
    if (locator.readUInt32LE(0) !== 0x07064b50) throw invalid('the zip archive is corrupt (no Zip64 locator)');
    const recordPos = Number(locator.readBigUInt64LE(8));
    const record = await readExactly(fh, recordPos, 56, short);
    if (record.readUInt32LE(0) !== 0x06064b50) throw invalid('the zip archive is corrupt (bad Zip64 end record)');
    count = Number(record.readBigUInt64LE(32));
    size = Number(record.readBigUInt64LE(40));
    offset = Number(record.readBigUInt64LE(48));
    end = recordPos;
  }
  const base = end - size - offset;
  if (base < 0 || !Number.isSafeInteger(count) || end - size < 0) throw invalid('the zip archive is corrupt (central directory out of range)');
  return { count, size, offset, base };
}
