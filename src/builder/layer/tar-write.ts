/**
 * A reproducible ustar writer: every header field is fixed except name, type, mode, size and
 * link target. uid/gid 0, empty uname/gname, mtime 1 s after the epoch (as Jib does, because
 * some tools treat 0 as "unset"). Names or link targets over 100 bytes, and sizes of 8 GiB or
 * more, go into a PAX extended header (`x`) written just before the entry.
 *
 * @module
 */

export const blockSize = 512;
/** mtime of every entry: 1970-01-01T00:00:01Z. */
export const fixedMtime = 1;
const maxOctalSize = 8 ** 11 - 1;

export type TarEntryType = 'file' | 'dir' | 'symlink';

export interface TarEntryHeader {
  /** Path inside the layer, relative (`app/app.jar`); directories without the trailing slash. */
  path: string;
  type: TarEntryType;
  mode: number;
  size: number;
  linkTarget?: string;
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function writeText(block: Buffer, value: string | Buffer, offset: number, length: number): void {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  bytes.copy(block, offset, 0, Math.min(bytes.length, length));
}

function rawHeader(name: Buffer, typeflag: string, mode: number, size: number, link: Buffer): Buffer {
  const block = Buffer.alloc(blockSize);
  writeText(block, name, 0, 100);
  writeText(block, octal(mode, 8), 100, 8);
  writeText(block, octal(0, 8), 108, 8); // uid
  writeText(block, octal(0, 8), 116, 8); // gid
  writeText(block, octal(size > maxOctalSize ? 0 : size, 12), 124, 12);
  writeText(block, octal(fixedMtime, 12), 136, 12);
  block.fill(0x20, 148, 156); // checksum placeholder
  block.write(typeflag, 156, 'latin1');
  writeText(block, link, 157, 100);
  writeText(block, 'ustar\0', 257, 6);
  writeText(block, '00', 263, 2);
  // uname/gname (265..329) stay empty.
  writeText(block, octal(0, 8), 329, 8); // devmajor
  writeText(block, octal(0, 8), 337, 8); // devminor
  let sum = 0;
  for (const b of block) sum += b;
  writeText(block, `${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  return block;
}

/** One PAX record: `"<len> <key>=<value>\n"`, where `<len>` counts the whole record. */
export function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bodyBytes = Buffer.byteLength(body, 'utf8');
  let length = bodyBytes + 1;
  while (String(length).length + bodyBytes !== length) length = String(length).length + bodyBytes;
  return `${length}${body}`;
}

/** Bytes to pad `size` to a whole block. */
export function padding(size: number): number {
  return (blockSize - (size % blockSize)) % blockSize;
}

/** The header block(s) for one entry (a PAX header first when needed). */
export function entryHeader(entry: TarEntryHeader): Buffer {
  const name = Buffer.from(entry.type === 'dir' ? `${entry.path}/` : entry.path, 'utf8');
  const link = Buffer.from(entry.linkTarget ?? '', 'utf8');
  const size = entry.type === 'file' ? entry.size : 0;
  const typeflag = entry.type === 'file' ? '0' : entry.type === 'dir' ? '5' : '2';
  const records: string[] = [];
  if (name.length > 100) records.push(paxRecord('path', name.toString('utf8')));
  if (link.length > 100) records.push(paxRecord('linkpath', link.toString('utf8')));
  if (size > maxOctalSize) records.push(paxRecord('size', String(size)));
  const header = rawHeader(name.subarray(0, 100), typeflag, entry.mode, size, link.subarray(0, 100));
  if (records.length === 0) return header;
  const pax = Buffer.from(records.join(''), 'utf8');
  // The PAX header's own name only matters to tools that do not know PAX; keep it fixed.
  const base = entry.path.slice(entry.path.lastIndexOf('/') + 1);
  const paxName = Buffer.from(`PaxHeaders/${base}`, 'utf8').subarray(0, 100);
  return Buffer.concat([rawHeader(paxName, 'x', 0o644, pax.length, Buffer.alloc(0)), pax, Buffer.alloc(padding(pax.length)), header]);
}

/** The end of an archive: two zero blocks. */
export const endOfArchive = Buffer.alloc(blockSize * 2);
