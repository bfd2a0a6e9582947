/**
 * Reading tar headers: ustar, GNU (long names `L`/`K`, base-256 numbers) and PAX (`x`/`g`
 * records). Pure functions over 512-byte blocks; the streaming is in `tar-scan.ts`.
 *
 * @module
 */
import { SlipwayError } from '../../core/errors.js';

export const blockSize = 512;

export interface TarHeader {
  name: string;
  mode: number;
  size: number;
  typeflag: string;
  linkname: string;
}

export function invalid(message: string): SlipwayError {
  return new SlipwayError('SLW_ARTIFACT_INVALID', `${message}; upload a JAR, zip, tar or tar.gz archive`);
}

function text(block: Buffer, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const end = field.indexOf(0);
  return field.subarray(0, end < 0 ? length : end).toString('utf8');
}

/** An octal number field (space/NUL terminated), or GNU base-256 when the high bit is set. */
function numeric(block: Buffer, start: number, length: number, what: string): number {
  const field = block.subarray(start, start + length);
  const first = field[0] ?? 0;
  if (first & 0x80) {
    if (first === 0xff) throw invalid(`tar header has a negative ${what}`);
    let value = first & 0x7f;
    for (let i = 1; i < field.length; i++) value = value * 256 + (field[i] ?? 0);
    if (!Number.isSafeInteger(value)) throw invalid(`tar header ${what} is too large`);
    return value;
  }
  const digits = field.toString('latin1').replace(/[\0 ]+$/, '').replace(/^[\0 ]+/, '');
  if (digits === '') return 0;
  if (!/^[0-7]+$/.test(digits)) throw invalid(`tar header has a malformed ${what} field`);
  return parseInt(digits, 8);
}

export function isZeroBlock(block: Buffer): boolean {
  for (let i = 0; i < block.length; i++) if (block[i] !== 0) return false;
  return true;
}

/** True when the block's checksum is right (unsigned, or signed as some old tars wrote it). */
export function checksumOk(block: Buffer): boolean {
  const stored = numeric(block, 148, 8, 'checksum');
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < blockSize; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : (block[i] ?? 0);
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return stored === unsigned || stored === signed;
}

/** Parses one header block; fails on a bad checksum. */
export function parseHeader(block: Buffer): TarHeader {
  if (!checksumOk(block)) throw invalid('the tar archive is corrupt (header checksum mismatch)');
  const magic = block.toString('latin1', 257, 263);
  let name = text(block, 0, 100);
  // POSIX ustar splits long names into prefix + name; GNU uses that area for other fields.
  if (magic === 'ustar\0') {
    const prefix = text(block, 345, 155);
    if (prefix !== '') name = `${prefix}/${name}`;
  }
  return {
    name,
    mode: numeric(block, 100, 8, 'mode') & 0o7777,
    size: numeric(block, 124, 12, 'size'),
    typeflag: String.fromCharCode(block[156] ?? 0),
    linkname: text(block, 157, 100),
  };
}

/** Parses PAX extended header records (`"<len> <key>=<value>\n"`). */
export function parsePax(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space < 0) break;
    const length = Number(data.toString('latin1', pos, space));
    if (!Number.isSafeInteger(length) || length <= space - pos || pos + length > data.length) throw invalid('the tar archive has a malformed PAX header');
    const record = data.subarray(space + 1, pos + length - 1);
    const eq = record.indexOf(0x3d);
    if (eq < 0) throw invalid('the tar archive has a malformed PAX record');
    out.set(record.toString('utf8', 0, eq), record.toString('utf8', eq + 1));
    pos += length;
  }
  return out;
}

/** A GNU long name/link payload: the bytes up to the first NUL. */
export function gnuLongText(data: Buffer): string {
  const end = data.indexOf(0);
  return data.toString('utf8', 0, end < 0 ? data.length : end);
}

/** Looks like a tar archive: ustar/GNU magic, or (old v7 format) a valid first header. */
export function looksLikeTar(first: Buffer): boolean {
  if (first.length < blockSize || isZeroBlock(first.subarray(0, blockSize))) return false;
  const magic = first.toString('latin1', 257, 262);
  if (magic === 'ustar') return true;
  try {
    return checksumOk(first.subarray(0, blockSize));
  } catch {
    return false;
  }
}
