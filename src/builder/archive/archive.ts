/**
 * Opening an uploaded artifact as an archive: the format is found from the file's first bytes
 * (zip `PK`, gzip, tar), never from its name. Every archive comes back with its entries checked
 * (see `entries.ts`) and a way to stream a file's bytes.
 *
 * @module
 */
import { open, type FileHandle } from 'node:fs/promises';
import { defaultLimits, type ArchiveLimits } from '../types.js';
import type { Archive, ArchiveFormat } from './entries.js';
import { invalid, looksLikeTar } from './tar-header.js';
import { openTar } from './tar-read.js';
import { openZip } from './zip-read.js';

/** The format of the file at `path`, from its first bytes. */
export async function sniffFormat(path: string): Promise<ArchiveFormat> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(512);
    const { bytesRead } = await fh.read(head, 0, 512, 0);
    if (bytesRead === 0) throw invalid('the artifact is empty');
    if (head.readUInt32LE(0) === 0x04034b50 || head.readUInt32LE(0) === 0x06054b50) return 'zip';
    if (head[0] === 0x1f && head[1] === 0x8b) return 'tar.gz';
    if (bytesRead === 512 && looksLikeTar(head)) return 'tar';
    // A zip with data in front of it (e.g. a JAR with a launch script) still ends like a zip.
    if (await hasZipEnd(fh)) return 'zip';
    throw invalid('the artifact is not a zip, JAR, tar or tar.gz archive');
  } finally {
    await fh.close();
  }
}

async function hasZipEnd(fh: FileHandle): Promise<boolean> {
  const { size } = await fh.stat();
  const length = Math.min(size, 22 + 0xffff);
  const tail = Buffer.alloc(length);
  await fh.read(tail, 0, length, size - length);
  for (let i = length - 22; i >= 0; i--) if (tail.readUInt32LE(i) === 0x06054b50) return true;
  return false;
}

/** Opens and checks an artifact. `workDir` receives the unpacked tar of a tar.gz, removed by `close()`. */
export async function openArchive(path: string, workDir: string, limits: Partial<ArchiveLimits> = {}): Promise<Archive> {
  const all: ArchiveLimits = { ...defaultLimits, ...limits };
  const format = await sniffFormat(path);
  if (format === 'zip') return openZip(path, all);
  return openTar(path, format === 'tar.gz', workDir, all);
}

export type { Archive, ArchiveFormat };
