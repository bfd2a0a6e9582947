/**
 * Hand-made tar archives for tests, including hostile ones (`../` paths, absolute paths, links
 * out of the root) that well-behaved tar tools refuse to write.
 */
import { gzipSync } from 'node:zlib';

export interface TarEntry {
  path: string;
  type?: 'file' | 'dir' | 'symlink' | 'hardlink' | 'chardev' | 'fifo';
  content?: string | Buffer;
  linkTarget?: string;
  mode?: number;
}

function header(e: TarEntry, size: number): Buffer {
  const h = Buffer.alloc(512);
  const put = (value: string, offset: number, length: number) => h.write(value, offset, length, 'utf8');
  const octal = (n: number, length: number) => n.toString(8).padStart(length - 1, '0');
  put(e.path, 0, 100);
  put(octal(e.mode ?? (e.type === 'dir' ? 0o755 : 0o644), 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(size, 12), 124, 12);
  put(octal(0, 12), 136, 12);
  h.fill(' ', 148, 156);
  put({ file: '0', dir: '5', symlink: '2', hardlink: '1', chardev: '3', fifo: '6' }[e.type ?? 'file'], 156, 1);
  if (e.linkTarget) put(e.linkTarget, 157, 100);
  put('ustar\u000000', 257, 8);
  let sum = 0;
  for (const b of h) sum += b;
  put(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8);
  return h;
}

/** A tar (gzipped when `gzip`) with exactly these entries, in this order. */
export function makeTar(entries: TarEntry[], gzip = true): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const body = e.type === 'file' || e.type === undefined ? Buffer.from(e.content ?? '') : Buffer.alloc(0);
    parts.push(header(e, body.length), body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  const tar = Buffer.concat(parts);
  return gzip ? gzipSync(tar) : tar;
}
