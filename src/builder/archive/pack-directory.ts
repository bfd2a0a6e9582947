/**
 * `slipway build DIR`: a directory packed into a reproducible tar.gz before it is uploaded, so
 * that a static site or a Node app need not be archived by hand. Entries go in byte order of
 * their paths, with the fixed owner and mtime of the layer writer and modes reduced to 0644 /
 * 0755 (executable bits kept): the same tree always packs to the same bytes, so rebuilding an
 * unchanged directory finds the earlier build and uploads nothing. `.git` is left out; so is
 * nothing else. A socket, FIFO or device file is refused by name.
 *
 * @module
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { SlipwayError } from '../../core/errors.js';
import { endOfArchive, entryHeader, padding, type TarEntryHeader } from '../layer/tar-write.js';

export interface PackedDirectory {
  files: number;
  /** Bytes of file content packed (before compression). */
  bytes: number;
}

/** Directories never packed. */
const skipped = new Set(['.git']);

interface Found extends TarEntryHeader {
  abs: string;
}

async function walk(root: string, rel: string, out: Found[]): Promise<void> {
  const names = (await readdir(join(root, rel))).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  for (const name of names) {
    if (rel === '' && skipped.has(name)) continue;
    const path = rel === '' ? name : `${rel}/${name}`;
    const abs = join(root, path);
    const st = await lstat(abs);
    if (st.isDirectory()) {
      out.push({ abs, path, type: 'dir', mode: 0o755, size: 0 });
      await walk(root, path, out);
    } else if (st.isFile()) {
      out.push({ abs, path, type: 'file', mode: st.mode & 0o111 ? 0o755 : 0o644, size: st.size });
    } else if (st.isSymbolicLink()) {
      out.push({ abs, path, type: 'symlink', mode: 0o777, size: 0, linkTarget: await readlink(abs) });
    } else {
      throw new SlipwayError('SLW_USAGE', `cannot pack ${abs}: it is not a file, directory or symbolic link (a socket, FIFO or device); remove it or build from an archive`);
    }
  }
}

async function* tarStream(entries: Found[]): AsyncGenerator<Buffer> {
  for (const e of entries) {
    yield entryHeader(e);
    if (e.type !== 'file') continue;
    let read = 0;
    // Exactly the size in the header: a file that grows while packed is cut, one that shrinks is refused.
    if (e.size > 0) {
      for await (const chunk of createReadStream(e.abs, { start: 0, end: e.size - 1 })) {
        read += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
    }
    if (read !== e.size) throw new SlipwayError('SLW_USAGE', `${e.abs} changed while it was packed; build again`);
    const pad = padding(e.size);
    if (pad > 0) yield Buffer.alloc(pad);
  }
  yield endOfArchive;
}

/** Packs the directory `dir` into the tar.gz file `out`. */
export async function packDirectory(dir: string, out: string): Promise<PackedDirectory> {
  const entries: Found[] = [];
  await walk(dir, '', entries);
  const files = entries.filter((e) => e.type === 'file');
  if (files.length === 0) throw new SlipwayError('SLW_USAGE', `${dir} holds no file to build`);
  await pipeline(Readable.from(tarStream(entries)), createGzip(), createWriteStream(out, { mode: 0o600 }));
  return { files: files.length, bytes: files.reduce((n, e) => n + e.size, 0) };
}
